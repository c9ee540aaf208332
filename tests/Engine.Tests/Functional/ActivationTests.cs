using Engine.Ops.Activation;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class ActivationTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public static TheoryData<ActivationKind> Kinds() => [ActivationKind.Relu, ActivationKind.LeakyRelu, ActivationKind.Sigmoid, ActivationKind.Tanh];

    private static double Apply(ActivationKind kind, double x) => kind switch
    {
        ActivationKind.Relu => Math.Max(x, 0),
        ActivationKind.LeakyRelu => x > 0 ? x : 0.01 * x,
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        _ => Math.Tanh(x),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ForwardAndBackwardMatchTheReference(ActivationKind kind)
    {
        // Values at least 0.05 away from 0, the kink of ReLU and LeakyReLU; large ones for saturation.
        float[] x = Reference.Random(257, 1, -6f, 6f).Select(v => MathF.Abs(v) < 0.05f ? v + 0.1f : v).Append(-90f).Append(90f).ToArray();
        float[] dy = Reference.Random(x.Length, 2);
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, x.Length);
        var y = kind switch
        {
            ActivationKind.Relu => Engine.Functional.Relu(input),
            ActivationKind.LeakyRelu => Engine.Functional.LeakyRelu(input),
            ActivationKind.Sigmoid => Engine.Functional.Sigmoid(input),
            _ => Engine.Functional.Tanh(input),
        };
        Func<double[][], double[]> f = a => a[0].Select(v => Apply(kind, v)).ToArray();
        double[] expected = f(GradCheck.Widen(x));
        // On CUDA sigmoid's exp is ex2.approx and tanh is tanh.approx (relative error 2^-11): the forward
        // may differ from the value by that much more, and the backward, which reads the forward's output
        // (tanh: dy (1 - y^2); sigmoid: dy y (1 - y)), by what that error does to it.
        double Relative(int i) => kind switch
        {
            ActivationKind.Tanh => DeviceRounding.TanhRelativeError,
            ActivationKind.Sigmoid => DeviceRounding.ExpRelativeError(x[i]),
            _ => 0,
        };
        DeviceRounding.AssertClose(_device, y.ToArray(), expected, 1e-6, 1e-6, i => Math.Abs(expected[i]) * Relative(i), $"{kind} forward");
        var dx = Engine.Functional.ActivationBackward(kind, ActivationOp.SavesOutput(kind) ? y : input, Tensor.FromArray(_device, dy, dy.Length));
        DeviceRounding.AssertClose(_device, dx.ToArray(), GradCheck.Numeric(f, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0, 1e-5), 1e-4, 1e-3,
            i => Math.Abs(dy[i]) * (kind == ActivationKind.Tanh
                ? expected[i] * expected[i] * (2 * Relative(i) + Relative(i) * Relative(i)) // y = t (1 + e), |e| <= r, moves 1 - y^2 by t^2 |2e + e^2|
                : Math.Abs(expected[i]) * Relative(i)),                                     // an error e in y in [0, 1] moves y (1 - y) by at most |e|
            $"{kind} backward");
    }

    [Fact]
    public void ReluGradientAtZeroIsZeroAsInPyTorch()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, [0f, -0f, 1e-30f], 3);
        var dx = Engine.Functional.ActivationBackward(ActivationKind.Relu, x, Tensor.Full(_device, 1f, 3));
        Assert.Equal([0f, 0f, 1f], dx.ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void NaNPropagatesAsInPyTorch(ActivationKind kind)
    {
        // PyTorch: relu is clamp_min(x, 0) and keeps NaN (and -0); leaky_relu, sigmoid and tanh of NaN are NaN.
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, [float.NaN, -1f, 2f, -0f], 4);
        var y = kind switch
        {
            ActivationKind.Relu => Engine.Functional.Relu(x),
            ActivationKind.LeakyRelu => Engine.Functional.LeakyRelu(x),
            ActivationKind.Sigmoid => Engine.Functional.Sigmoid(x),
            _ => Engine.Functional.Tanh(x),
        };
        float[] values = y.ToArray();
        Assert.True(float.IsNaN(values[0]), $"{kind}(NaN) = {values[0]}");
        Assert.All(values[1..], v => Assert.True(float.IsFinite(v)));
        if (kind == ActivationKind.Relu)
        {
            Assert.Equal([0f, 2f], values[1..3]);
            Assert.True(float.IsNegative(values[3]), "relu(-0) is -0, as clamp_min gives");
            // threshold_backward: the gradient passes where the input is NaN (NaN <= 0 is false), so the NaN shows in the gradients too.
            var dx = Engine.Functional.ActivationBackward(kind, x, Tensor.Full(_device, 1f, 4)).ToArray();
            Assert.Equal([1f, 0f, 1f, 0f], dx);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxIsStableAndMatchesTheReference(bool logarithm)
    {
        const int n = 2, c = 5, plane = 3;
        float[] x = Reference.Random(n * c * plane, 3, -4f, 4f);
        x[0] = 1000f; // a large logit must not overflow
        float[] dy = Reference.Random(x.Length, 4);
        Func<double[][], double[]> f = a =>
        {
            var y = new double[a[0].Length];
            for (int i = 0; i < n; i++)
                for (int s = 0; s < plane; s++)
                {
                    var idx = Enumerable.Range(0, c).Select(k => (i * c + k) * plane + s).ToArray();
                    double max = idx.Max(j => a[0][j]);
                    double lse = max + Math.Log(idx.Sum(j => Math.Exp(a[0][j] - max)));
                    foreach (int j in idx)
                        y[j] = logarithm ? a[0][j] - lse : Math.Exp(a[0][j] - lse);
                }
            return y;
        };
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, n, c, plane);
        var output = logarithm ? Engine.Functional.LogSoftmax(input) : Engine.Functional.Softmax(input);
        double[] expected = f(GradCheck.Widen(x));
        double[] allowance = CudaSoftmaxAllowance(x, expected, n, c, plane, logarithm);
        DeviceRounding.AssertClose(_device, output.ToArray(), expected, 1e-5, 1e-6, i => allowance[i], $"Softmax forward log={logarithm}");
        var dx = Engine.Functional.SoftmaxBackward(output, Tensor.FromArray(_device, dy, n, c, plane), logarithm);
        double[] backward = CudaSoftmaxBackwardAllowance(expected, allowance, dy, n, c, plane, logarithm);
        DeviceRounding.AssertClose(_device, dx.ToArray(), GradCheck.Numeric(f, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0, 1e-5), 1e-4, 1e-3,
            i => backward[i], $"Softmax backward log={logarithm}");
    }

    // What CUDA's ex2.approx and lg2.approx may add to each softmax output (absolute): every term
    // exp(x - max) by its relative error, weighted by its share of the sum S, and ln S by lg2's error.
    private static double[] CudaSoftmaxAllowance(float[] x, double[] y, int n, int c, int plane, bool logarithm)
    {
        var allowance = new double[x.Length];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < plane; s++)
            {
                int[] at = [.. Enumerable.Range(0, c).Select(k => (i * c + k) * plane + s)];
                double max = at.Max(j => (double)x[j]);
                double sum = at.Sum(j => Math.Exp(x[j] - max));
                double sumError = at.Sum(j => Math.Exp(x[j] - max) * DeviceRounding.ExpRelativeError(x[j] - max)) / sum + c * DeviceRounding.Unit;
                foreach (int j in at)
                    allowance[j] = logarithm
                        ? DeviceRounding.LogAbsoluteError(sum) + sumError
                        : Math.Abs(y[j]) * (DeviceRounding.ExpRelativeError(x[j] - max) + sumError);
            }
        return allowance;
    }

    // What the forward's allowance does to the backward, which reads the forward's output y:
    // log: dy - exp(y) sum(dy) (exp(y) off by its own error and y's); else y (dy - sum(dy y)).
    private static double[] CudaSoftmaxBackwardAllowance(double[] y, double[] forward, float[] dy, int n, int c, int plane, bool logarithm)
    {
        var allowance = new double[y.Length];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < plane; s++)
            {
                int[] at = [.. Enumerable.Range(0, c).Select(k => (i * c + k) * plane + s)];
                double dot = logarithm ? at.Sum(j => (double)dy[j]) : at.Sum(j => dy[j] * y[j]);
                double dotError = logarithm ? 0 : at.Sum(j => Math.Abs(dy[j]) * forward[j]);
                foreach (int j in at)
                    allowance[j] = logarithm
                        ? Math.Abs(dot) * Math.Exp(y[j]) * (forward[j] + DeviceRounding.ExpRelativeError(y[j]))
                        : forward[j] * Math.Abs(dy[j] - dot) + Math.Abs(y[j]) * dotError;
            }
        return allowance;
    }
}
