namespace Engine.Devices;

/// <summary>How a convolution runs on a device (<see cref="ExecutionPaths.Convolution"/>).</summary>
internal enum ConvolutionPath
{
    /// <summary>Host code on the CPU accelerator's buffers (<c>HostConvolution</c>): large GEMMs on the host's vector units.</summary>
    Host,
    /// <summary>ILGPU kernels: im2col (or the input itself for a 1x1 convolution) and the device's GEMM, col2im as a gather (<c>ConvCore</c>).</summary>
    Im2col,
    /// <summary>Implicit GEMM on the block-tiled GPU kernels, without column buffers (<c>ImplicitConvolution</c>).</summary>
    Implicit,
}
