using Engine.Devices;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Devices;

[Collection(DeviceCollection.Name)]
public sealed class DeviceSelectionTests(DeviceFixture fixture)
{
    [Theory]
    [InlineData("auto", null, null)]
    [InlineData("", null, null)]
    [InlineData("cpu", DeviceKind.Cpu, null)]
    [InlineData("OpenCL", DeviceKind.OpenCL, null)]
    [InlineData("opencl:1", DeviceKind.OpenCL, 1)]
    [InlineData(" cuda:0 ", DeviceKind.Cuda, 0)]
    public void SpecsParse(string text, DeviceKind? kind, int? index)
    {
        var spec = DeviceSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(index, spec.Index);
    }

    [Theory]
    [InlineData("tpu", "Unknown device kind 'tpu'")]
    [InlineData("cuda:x", "index 'x'")]
    [InlineData("opencl:-1", "index '-1'")]
    public void BadSpecsAreRejected(string text, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSpec.Parse(text));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TheSuiteRunsOnTheRequestedKind()
    {
        // A stage that asks for OpenCL must really be on OpenCL (the fixture fails otherwise).
        Assert.Equal(fixture.Spec.Kind, fixture.Device.Kind);
        if (fixture.Spec.Index is int index)
            Assert.Equal(index, fixture.Device.Info.Index);
        Assert.True(fixture.Device.Info.IsUsable);
    }

    [Fact]
    public void AbsentIndexIsAnErrorListingWhatIsPresent()
    {
        var error = Assert.Throws<DeviceNotFoundException>(() => ComputeDevice.Open("cuda:99"));
        Assert.Contains("Device 'cuda:99' is not available", error.Message);
        Assert.Contains("no cuda device with index 99", error.Message);
        Assert.Contains("cpu ", error.Message); // the CPU accelerator is always listed
        Assert.Throws<DeviceNotFoundException>(() => ComputeDevice.Open(DeviceKind.OpenCL, 99));
    }

    [Fact]
    public void AskingForAnAbsentKindFailsAndAPresentOneOpens()
    {
        var present = ComputeDevice.Enumerate();
        foreach (var kind in new[] { DeviceKind.Cuda, DeviceKind.OpenCL })
        {
            if (present.Any(d => d.Kind == kind && d.IsUsable))
            {
                using var device = ComputeDevice.Open(kind);
                Assert.Equal(kind, device.Kind);
            }
            else
            {
                var error = Assert.Throws<DeviceNotFoundException>(() => ComputeDevice.Open(kind));
                Assert.Matches($"no (usable )?{DeviceSpec.KindName(kind)} device was found", error.Message);
                Assert.Contains("Present:", error.Message);
            }
        }
    }

    [Fact]
    public void AutomaticChoicePrefersCudaThenOpenClGpuThenTheCpuAcceleratorThenOpenClCpu()
    {
        var present = ComputeDevice.Enumerate().Where(d => d.IsUsable).ToList();
        var chosen = ComputeDevice.Resolve(DeviceSpec.Auto);
        DeviceKind expected = present.Any(d => d.Kind == DeviceKind.Cuda) ? DeviceKind.Cuda
            : present.Any(d => d.Kind == DeviceKind.OpenCL && d.IsGpu) ? DeviceKind.OpenCL
            : DeviceKind.Cpu; // preferred to an OpenCL CPU runtime such as PoCL
        Assert.Equal(expected, chosen.Kind);
        if (expected == DeviceKind.OpenCL)
            Assert.True(chosen.IsGpu);
        Assert.Contains(present, d => d.Kind == DeviceKind.Cpu);
    }

    [Fact]
    public void ADisposedDeviceRefusesWork()
    {
        var device = ComputeDevice.Open("cpu");
        var tensor = Engine.Tensors.Tensor.Zeros(device, 3);
        Assert.Equal(1, device.LiveBufferCount);
        device.Dispose();
        Assert.True(tensor.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => tensor.ToArray());
        Assert.Throws<ObjectDisposedException>(() => Engine.Tensors.Tensor.Zeros(device, 3));
        tensor.Dispose();
        Assert.Equal(0, device.LiveBufferCount);
    }

    [Fact]
    public void TheReportNamesKindMemoryGroupAndWarp()
    {
        var info = fixture.Device.Info;
        string line = info.ToString();
        Assert.StartsWith(info.Spec, line);
        Assert.Contains($"max group {info.MaxGroupSize}", line);
        Assert.Contains($"warp {info.WarpSize}", line);
        Assert.True(info.MemoryBytes > 0);
        Assert.True(info.MaxGroupSize > 0);
    }
}
