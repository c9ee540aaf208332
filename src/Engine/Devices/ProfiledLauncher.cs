using System.Linq.Expressions;
using System.Reflection;
using ILGPU;

namespace Engine.Devices;

/// <summary>
/// Wraps a kernel launcher so that each call is counted in the device's <see cref="LaunchProfile"/>
/// before it runs (or, in a dry run, instead of running). The wrapper has the launcher's own
/// delegate type, built once per kernel and device with an expression tree, so the ops launching
/// kernels are unchanged. The launch size is the launcher's first argument: an element or tile
/// count (<see cref="Index1D"/>, 2-D, 3-D) or a grid and group (<see cref="KernelConfig"/>).
/// </summary>
internal static class ProfiledLauncher
{
    internal static TDelegate Wrap<TDelegate>(TDelegate inner, string kernel, ComputeDevice device) where TDelegate : Delegate
    {
        var invoke = typeof(TDelegate).GetMethod("Invoke")!;
        var parameters = invoke.GetParameters().Select(p => Expression.Parameter(p.ParameterType, p.Name)).ToArray();
        if (parameters.Length == 0 || invoke.ReturnType != typeof(void))
            throw new InvalidOperationException($"Kernel launcher {kernel} ({typeof(TDelegate)}) does not take a launch size first.");
        var size = WorkItemsOf(parameters[0], kernel);
        var record = Expression.Call(Expression.Constant(device), typeof(ComputeDevice).GetMethod(nameof(ComputeDevice.RecordLaunch), BindingFlags.Instance | BindingFlags.NonPublic)!,
            Expression.Constant(kernel), size);
        var body = Expression.IfThen(record, Expression.Invoke(Expression.Constant(inner), parameters));
        return Expression.Lambda<TDelegate>(body, parameters).Compile();
    }

    private static Expression WorkItemsOf(ParameterExpression size, string kernel)
    {
        var method = typeof(ProfiledLauncher).GetMethod(nameof(WorkItems), BindingFlags.Static | BindingFlags.NonPublic, [size.Type])
            ?? throw new InvalidOperationException($"Kernel launcher {kernel} takes {size.Type.Name} first, which the launch profile cannot size.");
        return Expression.Call(method, size);
    }

    private static long WorkItems(Index1D size) => size.X;

    private static long WorkItems(LongIndex1D size) => size.X;

    private static long WorkItems(Index2D size) => (long)size.X * size.Y;

    private static long WorkItems(Index3D size) => (long)size.X * size.Y * size.Z;

    private static long WorkItems(KernelConfig config) =>
        (long)config.GridDim.X * config.GridDim.Y * config.GridDim.Z * config.GroupDim.X * config.GroupDim.Y * config.GroupDim.Z;
}
