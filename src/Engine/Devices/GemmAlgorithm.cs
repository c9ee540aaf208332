namespace Engine.Devices;

/// <summary>Which GEMM kernel runs. <see cref="Auto"/> picks per accelerator.</summary>
public enum GemmAlgorithm
{
    /// <summary>
    /// Shared-memory tiles on GPUs (CUDA, OpenCL GPUs with groups of 256 or more threads);
    /// the host's vector units on ILGPU's CPU accelerator; register tiles elsewhere (PoCL).
    /// </summary>
    Auto,
    /// <summary>An 8x4 register tile per work-item, no shared memory (the fastest shape measured on PoCL; see bench/).</summary>
    RegisterTiled,
    /// <summary>
    /// Blocks staged in shared memory by 16x16 groups (the GPU shape): 128x128 blocks with 8x8
    /// results per work-item for large products, 64x64 with 4x4 where those would leave
    /// multiprocessors idle; double-buffered, coalesced for every transpose. Needs groups of 256 threads.
    /// </summary>
    SharedMemoryTiled,
    /// <summary>
    /// The host's SIMD units on the CPU accelerator's buffers (which are host memory). Only for the
    /// CPU accelerator, where simulated work-items run the kernels 10-50 times slower.
    /// </summary>
    Host,
}
