using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using F = Engine.Functional;

namespace Engine.Tests.Ops;

/// <summary>
/// On ILGPU's CPU accelerator, GEMM, im2col and col2im run as host code (HostPath); these tests run
/// the same convolutions with the host path switched off, so the ILGPU kernels run there too, and
/// require the results to agree (im2col and col2im exactly, GEMM to float rounding). On OpenCL and
/// CUDA both runs use the kernels.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class HostPathTests(DeviceFixture fixture)
{
    public static TheoryData<int, int, int, int, int, int> Convolutions() => new()
    {
        // (channels in, out, kernel, stride, padding, dilation)
        { 3, 5, 3, 1, 1, 1 },
        { 4, 6, 3, 2, 1, 1 },
        { 2, 3, 3, 1, 2, 2 },
        { 3, 4, 1, 1, 0, 1 },
        { 2, 2, 5, 3, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void HostAndKernelConvolutionsAgree(int cin, int cout, int k, int stride, int padding, int dilation)
    {
        var device = fixture.Device;
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(device, Reference.Random(2 * cin * 9 * 11, 1), 2, cin, 9, 11);
        var w = Tensor.FromArray(device, Reference.Random(cout * cin * k * k, 2), cout, cin, k, k);
        var b = Tensor.FromArray(device, Reference.Random(cout, 3), cout);

        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(bool host)
        {
            HostPath.Enabled = host;
            try
            {
                var y = F.Conv2d(x, w, b, stride, padding, dilation);
                var dy = Tensor.FromArray(device, Reference.Random((int)y.Numel, 4), y.Shape.Dims.ToArray());
                var grads = F.Conv2dBackward(dy, x, w, hasBias: true, stride, padding, dilation);
                return (y.ToArray(), grads.Input!.ToArray(), grads.Weight!.ToArray(), grads.Bias!.ToArray());
            }
            finally
            {
                HostPath.Enabled = true;
            }
        }

        var host = Run(host: true);
        var kernels = Run(host: false);
        AssertClose(kernels.Y, host.Y, 1e-5, "conv forward, host vs kernels");
        AssertClose(kernels.Dx, host.Dx, 1e-5, "conv input gradient, host vs kernels");
        AssertClose(kernels.Dw, host.Dw, 1e-5, "conv weight gradient, host vs kernels");
        Reference.AssertExactly(kernels.Db, host.Db, "conv bias gradient (no GEMM)");
    }

    // |host - kernels| <= tolerance * max |kernels|: the two GEMMs add the same products in other orders.
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(worst <= tolerance * scale, $"{what}: largest difference {worst:G3} against values up to {scale:G3}");
        Assert.Contains(expected, v => v != 0f);
    }
}
