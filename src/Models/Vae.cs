using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Losses;

namespace Engine.Models;

/// <summary>The nodes of a VAE training graph.</summary>
/// <param name="Logits">Reconstruction logits <c>[N, C, H, W]</c> (apply sigmoid for pixels).</param>
/// <param name="Mu">Posterior means <c>[N, latent]</c>.</param>
/// <param name="LogVar">Posterior log-variances <c>[N, latent]</c>.</param>
/// <param name="Reconstruction">Reconstruction loss per image (scalar).</param>
/// <param name="Kl">KL divergence per image (scalar).</param>
/// <param name="Loss">Negative ELBO per image: reconstruction + beta KL (scalar).</param>
public sealed record VaeGraph(Node Logits, Node Mu, Node LogVar, Node Reconstruction, Node Kl, Node Loss);

/// <summary>The reconstruction term of the VAE's loss.</summary>
public enum VaeReconstruction
{
    /// <summary>Bernoulli likelihood: BCE with logits summed over pixels (images in [0, 1]).</summary>
    Bernoulli,
    /// <summary>Gaussian likelihood with unit variance: squared error summed over pixels (up to a constant).</summary>
    Gaussian,
}

/// <summary>
/// A convolutional VAE (Kingma &amp; Welling 2013) for 28x28 images: a strided-convolution encoder to
/// mu and logvar, the reparameterised <c>z = mu + exp(logvar / 2) eps</c> with device noise, and a
/// transposed-convolution decoder. Its loss is the negative ELBO per image.
/// </summary>
public sealed class Vae : Module
{
    /// <summary>Creates the model.</summary>
    /// <param name="latent">Size of z (2 to plot, 20 as usual).</param>
    /// <param name="channels">Image channels.</param>
    /// <param name="size">Image side; must be divisible by 4.</param>
    public Vae(int latent = 20, int channels = 1, int size = 28)
    {
        if (latent <= 0 || channels <= 0 || size <= 0 || size % 4 != 0)
            throw new ArgumentException($"Vae: latent {latent} and channels {channels} must be positive and size {size} a positive multiple of 4.");
        Latent = latent;
        Channels = channels;
        Size = size;
        int features = 64 * (size / 4) * (size / 4);
        Register("enc1", new Conv2d(channels, 32, 4, stride: 2, padding: 1));   // size / 2
        Register("enc2", new Conv2d(32, 64, 4, stride: 2, padding: 1));         // size / 4
        Register("fc_mu", new Linear(features, latent));
        Register("fc_logvar", new Linear(features, latent));
        Register("fc_dec", new Linear(latent, features));
        Register("dec1", new ConvTranspose2d(64, 32, 4, stride: 2, padding: 1));
        Register("dec2", new ConvTranspose2d(32, channels, 4, stride: 2, padding: 1));
    }

    /// <summary>Size of z.</summary>
    public int Latent { get; }
    /// <summary>Image channels.</summary>
    public int Channels { get; }
    /// <summary>Image side.</summary>
    public int Size { get; }

    /// <summary>Encoder: mu and logvar of q(z | x).</summary>
    public (Node Mu, Node LogVar) Encode(Node x)
    {
        var h = Call("enc2", Call("enc1", x).Relu()).Relu().Flatten();
        return (Call("fc_mu", h), Call("fc_logvar", h));
    }

    /// <summary>Decoder: reconstruction logits for codes z <c>[N, latent]</c>.</summary>
    public Node Decode(Node z)
    {
        var h = Call("fc_dec", z).Relu().Reshape(z.Shape[0], 64, Size / 4, Size / 4);
        return Call("dec2", Call("dec1", h).Relu());
    }

    /// <summary>
    /// The training graph: encode, reparameterise (the mean in evaluation graphs), decode, and the
    /// negative ELBO per image, <c>reconstruction + beta KL</c>.
    /// </summary>
    public VaeGraph Build(Node x, VaeReconstruction reconstruction = VaeReconstruction.Bernoulli, float beta = 1f)
    {
        var (mu, logVar) = Encode(x);
        var z = NodeFunctions.Reparameterize(mu, logVar);
        var logits = Decode(z);
        var recon = reconstruction == VaeReconstruction.Bernoulli
            ? logits.BinaryCrossEntropyWithLogits(x, LossReduction.BatchMean)
            : logits.Sigmoid().MseLoss(x, LossReduction.BatchMean);
        var kl = NodeFunctions.GaussianKl(mu, logVar, LossReduction.BatchMean);
        var loss = NodeFunctions.WeightedSum(recon, 1f, kl, beta);
        return new VaeGraph(logits, mu, logVar, recon, kl, loss);
    }

    /// <summary>
    /// Codes on the straight line from <paramref name="from"/> to <paramref name="to"/> (both
    /// <c>[latent]</c>), endpoints included: <c>[steps, latent]</c> row-major, ready to decode.
    /// </summary>
    public float[] InterpolateCodes(ReadOnlySpan<float> from, ReadOnlySpan<float> to, int steps)
    {
        if (from.Length != Latent || to.Length != Latent)
            throw new ArgumentException($"Vae: codes must have {Latent} values, got {from.Length} and {to.Length}.");
        if (steps < 2)
            throw new ArgumentException($"Vae: interpolation needs at least 2 steps, got {steps}.", nameof(steps));
        var codes = new float[steps * Latent];
        for (int s = 0; s < steps; s++)
        {
            float t = s / (float)(steps - 1);
            for (int j = 0; j < Latent; j++)
                codes[s * Latent + j] = (1 - t) * from[j] + t * to[j];
        }
        return codes;
    }

    /// <inheritdoc/>
    protected override Node Forward(Node input) => Decode(Encode(input).Mu);
}
