using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Losses;
using Engine.Ops.Random;

namespace Engine.Models;

/// <summary>
/// The autoencoder family, trained on the reconstruction error <c>||x - x̂||²</c> per image:
/// <list type="bullet">
/// <item>plain, denoising and sparse: a convolutional encoder (two 4x4 stride-2 convolutions, 32
/// and 64 channels, then a linear layer to the code) and its mirror image as decoder (a linear
/// layer, two 4x4 stride-2 transposed convolutions), pixels through a sigmoid. The sparse kind's
/// code goes through a ReLU and pays an L1 penalty; the denoising kind corrupts its input in
/// training graphs (Gaussian or masking noise) and reconstructs the clean image.</item>
/// <item>contractive: Rifai et al.'s one-layer autoencoder, <c>h = sigmoid(W x + b)</c> and
/// <c>x̂ = sigmoid(W' h + b')</c>, penalised by the squared Frobenius norm of <c>dh/dx</c>, which
/// for a sigmoid layer has the closed form <c>sum_j (h_j (1 - h_j))^2 sum_i W_ji^2</c>.</item>
/// </list>
/// </summary>
public sealed class Autoencoder : Module
{
    /// <summary>Creates the model.</summary>
    /// <param name="kind">Which autoencoder.</param>
    /// <param name="code">Size of the code (2 to plot it).</param>
    /// <param name="channels">Image channels.</param>
    /// <param name="size">Image side; a multiple of 4.</param>
    public Autoencoder(AutoencoderKind kind = AutoencoderKind.Plain, int code = 32, int channels = 1, int size = 28)
    {
        if (!Enum.IsDefined(kind))
            throw new ArgumentException($"Autoencoder: unknown kind {(int)kind}.", nameof(kind));
        if (code <= 0 || channels <= 0 || size <= 0 || size % 4 != 0)
            throw new ArgumentException($"Autoencoder: code {code} and channels {channels} must be positive and size {size} a positive multiple of 4.");
        Kind = kind;
        Code = code;
        Channels = channels;
        Size = size;
        int pixels = channels * size * size;
        if (kind == AutoencoderKind.Contractive)
        {
            Register("encoder", new Linear(pixels, code));
            Register("decoder", new Linear(code, pixels));
            return;
        }
        int features = 64 * (size / 4) * (size / 4);
        Register("enc1", new Conv2d(channels, 32, 4, stride: 2, padding: 1));   // size / 2
        Register("enc2", new Conv2d(32, 64, 4, stride: 2, padding: 1));         // size / 4
        Register("fc_code", new Linear(features, code));
        Register("fc_dec", new Linear(code, features));
        Register("dec1", new ConvTranspose2d(64, 32, 4, stride: 2, padding: 1));
        Register("dec2", new ConvTranspose2d(32, channels, 4, stride: 2, padding: 1));
    }

    /// <summary>Which autoencoder.</summary>
    public AutoencoderKind Kind { get; }
    /// <summary>Size of the code.</summary>
    public int Code { get; }
    /// <summary>Image channels.</summary>
    public int Channels { get; }
    /// <summary>Image side.</summary>
    public int Size { get; }

    /// <summary>The default penalty weight: 0.01 on the sparse kind's per-image L1 norm, 0.1 on the contractive kind's Jacobian norm; 0 for the others.</summary>
    public float DefaultPenaltyWeight => Kind switch { AutoencoderKind.Sparse => 0.01f, AutoencoderKind.Contractive => 0.1f, _ => 0f };

    /// <summary>The encoder: images <c>[N, C, H, W]</c> to codes <c>[N, code]</c>.</summary>
    public Node Encode(Node x) => Kind switch
    {
        AutoencoderKind.Contractive => Call("encoder", x.Flatten()).Sigmoid(),
        AutoencoderKind.Sparse => CodeLayer(x).Relu(),
        _ => CodeLayer(x),
    };

    private Node CodeLayer(Node x) => Call("fc_code", Call("enc2", Call("enc1", x).Relu()).Relu().Flatten());

    /// <summary>The decoder: codes <c>[N, code]</c> to pixels in [0, 1] <c>[N, C, H, W]</c>.</summary>
    public Node Decode(Node code)
    {
        int n = code.Shape[0];
        if (Kind == AutoencoderKind.Contractive)
            return Call("decoder", code).Sigmoid().Reshape(n, Channels, Size, Size);
        var h = Call("fc_dec", code).Relu().Reshape(n, 64, Size / 4, Size / 4);
        return Call("dec2", Call("dec1", h).Relu()).Sigmoid();
    }

    /// <summary>
    /// The training graph: corrupt (denoising kind, training graphs only), encode, decode, and the
    /// loss, the squared error to the clean image summed over pixels per image plus
    /// <paramref name="penaltyWeight"/> times the penalty per image (sparse: L1 of the code;
    /// contractive: the Jacobian's squared Frobenius norm).
    /// </summary>
    /// <param name="x">Clean images <c>[N, C, H, W]</c> in [0, 1].</param>
    /// <param name="penaltyWeight">λ (null: <see cref="DefaultPenaltyWeight"/>).</param>
    /// <param name="noise">The denoising kind's corruption.</param>
    /// <param name="noiseLevel">Its standard deviation (Gaussian) or fraction (masking).</param>
    public AutoencoderGraph Build(Node x, float? penaltyWeight = null, NoiseKind noise = NoiseKind.Gaussian, float noiseLevel = 0.3f)
    {
        ArgumentNullException.ThrowIfNull(x);
        float weight = penaltyWeight ?? DefaultPenaltyWeight;
        if (!(weight >= 0 && float.IsFinite(weight)))
            throw new ArgumentException($"Autoencoder: the penalty weight must be a finite number of at least 0, got {weight}.", nameof(penaltyWeight));
        var input = Kind == AutoencoderKind.Denoising ? x.AddNoise(noise, noiseLevel) : x;
        var code = Encode(input);
        var reconstruction = Decode(code);
        var error = reconstruction.MseLoss(x, LossReduction.BatchMean);
        Node? penalty = Kind switch
        {
            AutoencoderKind.Sparse => code.L1Norm(),
            AutoencoderKind.Contractive => code.ContractivePenalty(((Linear)Child("encoder")).Weight),
            _ => null,
        };
        var loss = penalty is null ? error : NodeFunctions.WeightedSum(error, 1f, penalty, weight);
        return new AutoencoderGraph(input, code, reconstruction, error, penalty, loss);
    }

    /// <inheritdoc/>
    protected override Node Forward(Node input) => Decode(Encode(input));
}
