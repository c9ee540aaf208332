namespace Engine.Training;

/// <summary>The optimiser a <see cref="Trainer"/> builds.</summary>
public enum OptimizerKind
{
    /// <summary>AdamW (β 0.9, 0.999; ε 1e-8; decoupled weight decay), PyTorch's <c>torch.optim.AdamW</c>.</summary>
    AdamW,

    /// <summary>SGD with momentum 0.9 and coupled weight decay, PyTorch's <c>torch.optim.SGD</c>.</summary>
    Sgd,
}
