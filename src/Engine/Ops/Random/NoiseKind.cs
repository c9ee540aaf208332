namespace Engine.Ops.Random;

/// <summary>How a denoising autoencoder corrupts its input (Vincent et al. 2008).</summary>
public enum NoiseKind
{
    /// <summary>Additive isotropic Gaussian noise: <c>x + level * n</c>, n standard normal.</summary>
    Gaussian,

    /// <summary>Masking noise: each value set to 0 with probability <c>level</c> (not rescaled, unlike dropout).</summary>
    Masking,
}
