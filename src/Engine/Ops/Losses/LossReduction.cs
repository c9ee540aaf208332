namespace Engine.Ops.Losses;

/// <summary>How per-element loss terms become the scalar loss.</summary>
public enum LossReduction
{
    /// <summary>The mean over every element (PyTorch's default).</summary>
    Mean,
    /// <summary>The sum over every element.</summary>
    Sum,
    /// <summary>The sum divided by the batch size (dim 0): a per-image loss, as the VAE reports it.</summary>
    BatchMean,
}
