using System.Runtime.InteropServices;

namespace Engine.Distributed;

/// <summary>
/// <c>cuStreamWaitEvent</c> from the CUDA driver (<c>libcuda.so.1</c>, loaded already when ILGPU
/// runs on CUDA), which ILGPU 1.5.3 does not expose: it orders one stream's later work after an
/// event recorded on another, on the device, without the host waiting. NCCL's stream waits so for
/// the compute stream's gradients.
/// </summary>
internal static unsafe class CudaStreamWait
{
    private static readonly delegate* unmanaged<IntPtr, IntPtr, uint, int> s_wait = Bind();

    private static delegate* unmanaged<IntPtr, IntPtr, uint, int> Bind()
    {
        foreach (string name in new[] { "libcuda.so.1", "libcuda.so", "nvcuda.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "cuStreamWaitEvent", out var wait))
                return (delegate* unmanaged<IntPtr, IntPtr, uint, int>)wait;
        }
        return null;
    }

    /// <summary>Makes <paramref name="stream"/>'s later work wait for <paramref name="cudaEvent"/>.</summary>
    public static void Wait(IntPtr stream, IntPtr cudaEvent)
    {
        if (s_wait == null)
            throw new CommunicatorException("the CUDA driver (libcuda.so.1) has no cuStreamWaitEvent.");
        int code = s_wait(stream, cudaEvent, 0);
        if (code != 0)
            throw new CommunicatorException($"cuStreamWaitEvent failed with CUDA error {code}.");
    }
}
