using Xunit.v3;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Marks a test class (or method) whose subject does not depend on the device that computes:
/// argument and file handling, readers, crash safety, processes, code generation; or a case that
/// repeats, at a device's cost, kernels another case of the class already proves there. CI runs it once, in the
/// stage on the CPU accelerator (the README's test command), and leaves it out of the stages
/// that repeat the suite on the kernels and on OpenCL (<c>--filter "Device!=Independent"</c>),
/// which are there to prove what the device computes. The reason is required, so the choice is
/// argued where it is made.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class DeviceIndependentAttribute(string reason) : Attribute, ITraitAttribute
{
    /// <summary>Trait name and value the CI stages filter on.</summary>
    public const string TraitName = "Device", TraitValue = "Independent";

    /// <summary>Why what the class tests is the same on every device.</summary>
    public string Reason { get; } = reason;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() =>
        [new(TraitName, TraitValue)];
}
