namespace Engine.Ops.Random;

/// <summary>The independent random streams of a training run, each keyed from the one user seed.</summary>
public enum RandomStream : ulong
{
    /// <summary>Initial weights.</summary>
    Initialization = 1,
    /// <summary>The order of the training images in each epoch.</summary>
    Shuffle = 2,
    /// <summary>Flips and shifts of training images.</summary>
    Augmentation = 3,
    /// <summary>Device noise of the training graph: dropout masks, the VAE's reparameterisation.</summary>
    Noise = 4,
    /// <summary>Device noise of evaluation graphs (the VAE's sampled ELBO).</summary>
    Evaluation = 5,
    /// <summary>Codes drawn by sampling commands.</summary>
    Sampling = 6,
    /// <summary>Synthetic datasets: the layout of each composite image.</summary>
    Dataset = 7,
}
