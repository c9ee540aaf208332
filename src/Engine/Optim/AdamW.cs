using Engine.Graph;

namespace Engine.Optim;

/// <summary><c>torch.optim.AdamW</c>: Adam with decoupled weight decay (default 0.01).</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    public AdamW(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
        : base([new ParameterGroup(parameters.ToList())], learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }

    /// <summary>Creates the optimiser over parameter groups, each of which may set its own rate and weight decay.</summary>
    public AdamW(IEnumerable<ParameterGroup> groups, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
        : base(groups, learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }
}
