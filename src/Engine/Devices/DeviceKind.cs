namespace Engine.Devices;

/// <summary>The kinds of accelerator the engine runs on.</summary>
public enum DeviceKind
{
    /// <summary>ILGPU's CPU accelerator: kernels run as .NET code on OS threads. Always present.</summary>
    Cpu,
    /// <summary>An OpenCL device (a GPU, or a CPU runtime such as PoCL).</summary>
    OpenCL,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
}
