using Engine.Devices;
using Engine.Tests.Infrastructure;
using ILGPU.Runtime;

namespace Engine.Tests.Devices;

/// <summary>
/// The one owner of the execution paths: what it resolves for each kind of device (described, not
/// opened, so every kind is checked on any machine), and how a thread's override nests, restores
/// and stays on its thread.
/// </summary>
[DeviceIndependent("It resolves paths for described devices and thread scopes; nothing runs on a device.")]
public sealed class ExecutionPathsTests
{
    private static DeviceInfo Info(DeviceKind kind, int maxGroup, bool gpu, int multiprocessors = 1) =>
        new(kind, 0, "described", 1L << 30, maxGroup, 32, gpu, true, "", multiprocessors);

    private static readonly ExecutionPaths Cpu = new(AcceleratorType.CPU, Info(DeviceKind.Cpu, 1024, gpu: false));
    private static readonly ExecutionPaths Gpu = new(AcceleratorType.Cuda, Info(DeviceKind.Cuda, 1024, gpu: true, multiprocessors: 200));
    private static readonly ExecutionPaths Pocl = new(AcceleratorType.OpenCL, Info(DeviceKind.OpenCL, 4096, gpu: false));
    private static readonly ExecutionPaths SmallGroups = new(AcceleratorType.OpenCL, Info(DeviceKind.OpenCL, 128, gpu: true));

    [Fact]
    public void EachKindOfDeviceResolvesTheRuleOfItsKind()
    {
        Assert.True(Environment.GetEnvironmentVariable(ExecutionPaths.GemmVariable) is null or "" or "auto",
            $"This table is the automatic choice; run it without {ExecutionPaths.GemmVariable}.");
        using (ExecutionPaths.Override(hostPath: true))
        {
            Assert.Equal((true, GemmAlgorithm.Host, ConvolutionPath.Host), (Cpu.Host, Cpu.Gemm, Cpu.Convolution));
            Assert.Equal((false, GemmAlgorithm.SharedMemoryTiled, ConvolutionPath.Implicit), (Gpu.Host, Gpu.Gemm, Gpu.Convolution));
            Assert.Equal((false, GemmAlgorithm.RegisterTiled, ConvolutionPath.Im2col), (Pocl.Host, Pocl.Gemm, Pocl.Convolution));
            Assert.Equal((false, GemmAlgorithm.RegisterTiled, ConvolutionPath.Im2col), (SmallGroups.Host, SmallGroups.Gemm, SmallGroups.Convolution));
        }
        using (ExecutionPaths.Override(hostPath: false))
            Assert.Equal((false, GemmAlgorithm.RegisterTiled, ConvolutionPath.Im2col), (Cpu.Host, Cpu.Gemm, Cpu.Convolution));
    }

    [Fact]
    public void LargeTilesNeedTwoGroupsPerMultiprocessorAtLeastThePlannedOnes()
    {
        Assert.False(Cpu.LargeTiles(2L * ExecutionPaths.PlannedMultiprocessors - 1));
        Assert.True(Cpu.LargeTiles(2L * ExecutionPaths.PlannedMultiprocessors));
        Assert.False(Gpu.LargeTiles(399));
        Assert.True(Gpu.LargeTiles(400));
        using (ExecutionPaths.Override(largeTiles: false))
            Assert.False(Gpu.LargeTiles(1 << 20));
        using (ExecutionPaths.Override(largeTiles: true))
            Assert.True(Gpu.LargeTiles(1));
    }

    [Fact]
    public void ForcingImplicitGemmWhereGroupsAreTooSmallIsRefusedByName()
    {
        using var path = ExecutionPaths.Override(implicitGemm: true);
        Assert.Equal(ConvolutionPath.Implicit, Cpu.Convolution);
        var error = Assert.Throws<ArgumentException>(() => SmallGroups.Convolution);
        Assert.Equal("SharedMemoryTiled needs groups of 256 threads; opencl:0 allows 128. (Parameter 'algorithm')", error.Message);
    }

    [Fact]
    public void NotImplicitMeansTheHostPathWhereItIsOnElseIm2col()
    {
        using var path = ExecutionPaths.Override(implicitGemm: false);
        using (ExecutionPaths.Override(hostPath: true))
            Assert.Equal((ConvolutionPath.Host, ConvolutionPath.Im2col), (Cpu.Convolution, Gpu.Convolution));
        using (ExecutionPaths.Override(hostPath: false))
            Assert.Equal(ConvolutionPath.Im2col, Cpu.Convolution);
    }

    [Fact]
    public void OverridesNestRestoreAndStayOnTheirThread()
    {
        bool byDefault = ExecutionPaths.HostPathOn;
        using (ExecutionPaths.Override(hostPath: !byDefault))
        {
            using (ExecutionPaths.Override(implicitGemm: true))
            {
                // The inner scope keeps the outer one's host path; another thread sees neither.
                Assert.Equal((!byDefault, ConvolutionPath.Implicit), (ExecutionPaths.HostPathOn, Gpu.Convolution));
                bool elsewhere = true;
                var thread = new Thread(() => elsewhere = ExecutionPaths.HostPathOn);
                thread.Start();
                thread.Join();
                Assert.Equal(byDefault, elsewhere);
                using (ExecutionPaths.Override(hostPath: byDefault))
                    Assert.Equal(byDefault, ExecutionPaths.HostPathOn);
                Assert.Equal(!byDefault, ExecutionPaths.HostPathOn);
            }
            Assert.Equal(!byDefault, ExecutionPaths.HostPathOn);
            using (ExecutionPaths.Override(implicitGemm: false))
                Assert.Equal(ConvolutionPath.Im2col, Gpu.Convolution);
        }
        Assert.Equal(byDefault, ExecutionPaths.HostPathOn);
    }
}
