using Engine.Devices;
using Engine.Graph;
using Engine.Kernels.Optim;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Optim;

/// <summary><c>torch.optim.SGD</c>: momentum, dampening, Nesterov and L2 weight decay.</summary>
public sealed class Sgd : Optimizer
{
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int, int>> Loader =
        new("Optim.Sgd", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int, int>(acc, OptimizerKernels.Sgd));

    private readonly Dictionary<Parameter, Tensor> _momentum = new();

    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate)
    {
        if (momentum < 0 || weightDecay < 0)
            throw new ArgumentException($"SGD: momentum {momentum} and weight decay {weightDecay} must be non-negative.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"SGD: Nesterov momentum needs momentum > 0 and zero dampening (momentum {momentum}, dampening {dampening}).");
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        if (momentum != 0)
        {
            foreach (var p in Parameters)
                _momentum[p] = StateLike(p);
        }
    }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }
    /// <summary>Dampening.</summary>
    public float Dampening { get; }
    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(Parameter parameter)
    {
        var buffer = _momentum.TryGetValue(parameter, out var b) ? b : parameter.Grad; // unused without momentum
        Device.Kernel(Loader)(Ops.Check.LaunchSize("SGD", parameter.Shape.Numel), parameter.Value.View, parameter.Grad.View, buffer.View, GradScale.View,
            LearningRate, Momentum, Dampening, WeightDecay, Nesterov ? 1 : 0, StepCount == 1 ? 1 : 0);
    }

    /// <inheritdoc/>
    public override IEnumerable<(int Parameter, string Name, Tensor State)> State() =>
        Parameters.Select((p, i) => (i, p)).Where(x => _momentum.ContainsKey(x.p)).Select(x => (x.i, "momentum_buffer", _momentum[x.p]));

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var t in _momentum.Values)
            t.Dispose();
        base.Dispose();
    }
}
