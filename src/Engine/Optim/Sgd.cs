using Engine.Graph;
using Engine.Kernels.Optim;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Optim;

/// <summary><c>torch.optim.SGD</c>: momentum, dampening, Nesterov and L2 weight decay.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor? _buffer;
    private readonly List<Tensor> _momentum = new();

    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : this([new ParameterGroup(parameters.ToList())], learningRate, momentum, dampening, weightDecay, nesterov) { }

    /// <summary>Creates the optimiser over parameter groups, each of which may set its own rate and weight decay.</summary>
    public Sgd(IEnumerable<ParameterGroup> groups, float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(groups, learningRate)
    {
        if (momentum < 0 || weightDecay < 0)
            throw new ArgumentException($"SGD: momentum {momentum} and weight decay {weightDecay} must be non-negative.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"SGD: Nesterov momentum needs momentum > 0 and zero dampening (momentum {momentum}, dampening {dampening}).");
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        if (momentum != 0)
        {
            _buffer = FlatState();
            for (int i = 0; i < Parameters.Count; i++)
                _momentum.Add(StateSlice(_buffer, i));
        }
        Momentum = momentum; // after the buffers, which a non-zero momentum needs
    }

    /// <summary>Momentum factor; schedules that cycle it (<see cref="OneCycleLR"/>) set it between steps, as PyTorch's do.</summary>
    /// <exception cref="ArgumentException">Negative, not finite, or non-zero on an optimiser made without momentum (it has no buffers).</exception>
    public float Momentum
    {
        get;
        set => field = !(value >= 0 && float.IsFinite(value)) ? throw new ArgumentException($"SGD: momentum must be a finite number of at least 0, got {value}.")
            : _buffer is null && value != 0 ? throw new ArgumentException($"SGD: momentum {value} on an optimiser made without momentum (it keeps no momentum buffers).")
            : value;
    }
    /// <summary>Dampening.</summary>
    public float Dampening { get; }
    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    private protected override void Update(ParameterRun run)
    {
        var buffer = _buffer is null ? run.Grads : _buffer.View.SubView(run.Offset, run.Length); // unused without momentum
        Device.Kernel(OptimizerLoaders.Sgd)(run.Length, run.Values, run.Grads, buffer, GradScale.View,
            RateOf(run), Momentum, Dampening, DecayOf(run, WeightDecay), Nesterov ? 1 : 0, StepCount == 1 ? 1 : 0);
    }

    /// <inheritdoc/>
    public override IEnumerable<(int Parameter, string Name, Tensor State)> State() =>
        _momentum.Select((t, i) => (i, "momentum_buffer", t));

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var t in _momentum)
            t.Dispose();
        _buffer?.Dispose();
        base.Dispose();
    }
}
