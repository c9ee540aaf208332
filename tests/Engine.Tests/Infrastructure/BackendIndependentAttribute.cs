using Xunit.v3;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Marks a test class whose subject depends on the execution path (the CPU accelerator's host
/// path, or the ILGPU kernels) but not on the backend that runs the kernels: a memory plan, which
/// counts what each path allocates, or a CLI command whose numbers come from kernels the other
/// classes prove on every backend. CI runs it in the stage on the host path and in the stage on
/// the kernels (CPU accelerator, <c>ENGINE_HOST_PATH=0</c>), whose paths OpenCL devices without a
/// GPU also take, and leaves it out of the OpenCL stage
/// (<c>--filter "Device!=Independent&amp;Backend!=Independent"</c>). One CLI end-to-end class
/// (<c>CliTests</c>) still runs there. The reason is required, so the choice is argued where it
/// is made.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class BackendIndependentAttribute(string reason) : Attribute, ITraitAttribute
{
    /// <summary>Trait name and value the OpenCL stage filters on.</summary>
    public const string TraitName = "Backend", TraitValue = "Independent";

    /// <summary>Why what the class tests is the same on every backend of its execution path.</summary>
    public string Reason { get; } = reason;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() =>
        [new(TraitName, TraitValue)];
}
