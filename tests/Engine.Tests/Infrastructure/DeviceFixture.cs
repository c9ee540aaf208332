using Engine.Devices;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// The device the suite runs on: <c>ENGINE_DEVICE</c> (cpu, opencl, cuda[:N]), or the CPU
/// accelerator when unset. A stage that asks for an absent device fails here, in every test,
/// with the list of devices present; it never skips.
/// </summary>
public sealed class DeviceFixture : IDisposable
{
    public DeviceFixture()
    {
        string? requested = Environment.GetEnvironmentVariable(DeviceSpec.EnvironmentVariable);
        Spec = string.IsNullOrWhiteSpace(requested) ? new DeviceSpec(DeviceKind.Cpu, null) : DeviceSpec.Parse(requested);
        Device = ComputeDevice.Open(Spec);
    }

    /// <summary>What the stage asked for.</summary>
    public DeviceSpec Spec { get; }

    /// <summary>The opened device, shared by the tests of the collection.</summary>
    public ComputeDevice Device { get; }

    public void Dispose() => Device.Dispose();
}

/// <summary>Tests that run on the configured device share one opened device and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DeviceCollection : ICollectionFixture<DeviceFixture>
{
    public const string Name = "device";
}
