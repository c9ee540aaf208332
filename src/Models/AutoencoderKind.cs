namespace Engine.Models;

/// <summary>The autoencoders of the notes: what the code is pushed toward beside reconstructing the input.</summary>
public enum AutoencoderKind
{
    /// <summary>An undercomplete autoencoder: the reconstruction error alone, through a code smaller than the input.</summary>
    Plain,

    /// <summary>A denoising autoencoder (Vincent et al. 2008): the input corrupted in training, the clean image the target.</summary>
    Denoising,

    /// <summary>A sparse autoencoder: a ReLU code with an L1 penalty on it.</summary>
    Sparse,

    /// <summary>A contractive autoencoder (Rifai et al. 2011): a sigmoid encoder layer and the Frobenius norm of its Jacobian as penalty.</summary>
    Contractive,
}
