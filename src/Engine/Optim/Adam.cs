using Engine.Devices;
using Engine.Ops;
using Engine.Graph;
using Engine.Kernels.Optim;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Optim;

/// <summary>
/// <c>torch.optim.Adam</c> (L2 weight decay added to the gradient) or, with
/// <c>decoupledWeightDecay</c>, <c>torch.optim.AdamW</c> (weight decay applied to the parameter).
/// </summary>
public class Adam : Optimizer
{
    private readonly Tensor _m, _v;
    private readonly List<(Tensor M, Tensor V)> _moments = new();
    private readonly bool _decoupled;

    /// <summary>Creates Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8; no weight decay).</summary>
    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this([new ParameterGroup(parameters.ToList())], learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates the optimiser over parameter groups, each of which may set its own rate and weight decay.</summary>
    public Adam(IEnumerable<ParameterGroup> groups, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this(groups, learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates Adam or AdamW.</summary>
    protected Adam(IEnumerable<ParameterGroup> groups, float learningRate, float beta1, float beta2, float eps, float weightDecay, bool decoupled)
        : base(groups, learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) || !(eps > 0) || weightDecay < 0)
            throw new ArgumentException($"Adam: betas ({beta1}, {beta2}) must be in [0, 1), eps {eps} positive, weight decay {weightDecay} non-negative.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = FlatState();
        _v = FlatState();
        for (int i = 0; i < Parameters.Count; i++)
            _moments.Add((StateSlice(_m, i), StateSlice(_v, i)));
    }

    /// <summary>First-moment decay; schedules that cycle momentum (<see cref="OneCycleLR"/>) set it between steps, as PyTorch's do with <c>betas[0]</c>.</summary>
    public float Beta1
    {
        get;
        set => field = value >= 0 && value < 1 ? value : throw new ArgumentException($"Adam: beta1 must be in [0, 1), got {value}.");
    }
    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public float Eps { get; }
    /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
    public float WeightDecay { get; }

    private protected override void Update(ParameterRun run)
    {
        var m = _m.View.SubView(run.Offset, run.Length);
        var v = _v.View.SubView(run.Offset, run.Length);
        float c1 = 1f - MathF.Pow(Beta1, StepCount);
        float c2 = 1f - MathF.Pow(Beta2, StepCount);
        if (Device.Paths.Host)
        {
            Device.Synchronize();
            AdamHost.Update(run.Values, run.Grads, m, v, GradScale.View, run.Length,
                RateOf(run), Beta1, Beta2, Eps, DecayOf(run, WeightDecay), c1, c2, _decoupled);
            return;
        }
        Device.Kernel(OptimizerLoaders.Adam)(run.Length, run.Values, run.Grads, m, v, GradScale.View,
            RateOf(run), Beta1, Beta2, Eps, DecayOf(run, WeightDecay), c1, c2, _decoupled ? 1 : 0);
    }

    /// <inheritdoc/>
    public override IEnumerable<(int Parameter, string Name, Tensor State)> State() =>
        _moments.SelectMany((s, i) => new[] { (i, "exp_avg", s.M), (i, "exp_avg_sq", s.V) });

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var (m, v) in _moments)
        {
            m.Dispose();
            v.Dispose();
        }
        _m.Dispose();
        _v.Dispose();
        base.Dispose();
    }
}
