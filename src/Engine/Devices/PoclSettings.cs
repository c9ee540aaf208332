using System.Runtime.InteropServices;

namespace Engine.Devices;

/// <summary>
/// Settings the engine gives PoCL, the OpenCL runtime for CPUs, before any kernel is compiled.
/// PoCL 6.0's default way of running a work-group's work-items ("loopvec": loops around the code
/// between barriers) miscompiles the engine's block-tiled GEMM kernels: with a gathered operand and
/// an epilogue that branches, or with a convolution's two backward products in one kernel, they
/// computed wrong values and wrote outside their buffers (found December 2026 with a probe that ran
/// the same ILGPU-made OpenCL C on the CPU accelerator and PoCL; every kernel was right with PoCL's
/// continuation-based method, "cbs", so the OpenCL C is right). The engine therefore asks PoCL for
/// "cbs" through <c>POCL_WORK_GROUP_METHOD</c>, unless the user set that variable. Other OpenCL
/// runtimes ignore it.
/// </summary>
internal static partial class PoclSettings
{
    /// <summary>The PoCL variable that chooses how a work-group runs.</summary>
    internal const string WorkGroupMethodVariable = "POCL_WORK_GROUP_METHOD";

    /// <summary>The method the engine asks for.</summary>
    internal const string WorkGroupMethod = "cbs";

    /// <summary>Sets <see cref="WorkGroupMethodVariable"/> in the process's native environment (which PoCL reads) unless it is set.</summary>
    internal static void Apply()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WorkGroupMethodVariable)))
            return;
        Environment.SetEnvironmentVariable(WorkGroupMethodVariable, WorkGroupMethod); // the managed view
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
            _ = SetEnvironment(WorkGroupMethodVariable, WorkGroupMethod, overwrite: 0); // what native code sees
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
