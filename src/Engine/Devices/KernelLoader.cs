using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// Describes how to load one kernel on an accelerator. The engine's source generator
/// (<c>src/Generators</c>) writes one static field per <c>[Loader]</c> on a kernel (in the class
/// <c>XLoaders</c> for <c>XKernels</c>, in its namespace); <see cref="ComputeDevice.Kernel{TDelegate}"/>
/// loads each at most once per device and
/// hands back the cached launcher afterwards, so no hot call compiles or loads anything.
/// </summary>
/// <typeparam name="TDelegate">The launcher ILGPU returns (for example <c>Action&lt;Index1D, ArrayView&lt;float&gt;&gt;</c>).</typeparam>
public sealed class KernelLoader<TDelegate> where TDelegate : Delegate
{
    private readonly Func<Accelerator, TDelegate> _load;

    /// <summary>Creates a loader from the ILGPU load call (<c>acc =&gt; acc.LoadAutoGroupedStreamKernel&lt;...&gt;(Kernel)</c>).</summary>
    public KernelLoader(string name, Func<Accelerator, TDelegate> load)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(load);
        Name = name;
        _load = load;
    }

    /// <summary>The kernel's name, for reports and errors.</summary>
    public string Name { get; }

    internal TDelegate Load(Accelerator accelerator) => _load(accelerator);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
