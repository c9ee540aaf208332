namespace Engine.Devices;

/// <summary>
/// What a thread forces of the execution paths (<see cref="ExecutionPaths.Override"/>); null leaves
/// the device's own answer. Tests use it to run the kernels on the CPU accelerator, implicit GEMM
/// off a GPU, or one tile size on small shapes.
/// </summary>
/// <param name="HostPath">The host path on (true) or off (false) on the CPU accelerator.</param>
/// <param name="ImplicitGemm">Convolutions as implicit GEMM (true) or not (false: the host path where it is on, else im2col).</param>
/// <param name="LargeTiles">Every block-tiled product with 128x128 tiles (true) or 64x64 (false).</param>
internal sealed record PathOverride(bool? HostPath, bool? ImplicitGemm, bool? LargeTiles);
