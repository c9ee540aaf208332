using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Cli.Commands;
using Engine.Cli.Imaging;
using Engine.Cli.Training;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>
/// <c>train ae --kind</c> end to end on tiny settings (the embedded Fashion-MNIST subset): the
/// printed reconstruction error is the checkpoint's and what <c>eval</c> computes again; <c>sample</c>
/// writes the reconstructions, the denoising triples and the 2-D latent plots.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("the commands' arguments, files and printed numbers; the numbers come from the library's training, evaluation and kernels, proven in process on every stage")]
public sealed partial class AutoencoderCommandTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-ae-").FullName;
    private readonly StringWriter _errors = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private TrainSettings Tiny(string model, string run) => new()
    {
        Model = model, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, run), Epochs = 1, Plain = true, Limit = 64, BatchSize = 16,
    };

    [GeneratedRegex(@"test reconstruction error (\d+\.\d{3}) per image \(MSE (\d\.\d{5}) per pixel\)")]
    private static partial Regex Printed();

    [Theory]
    [InlineData("plain")]
    [InlineData("denoising")]
    [InlineData("sparse")]
    [InlineData("contractive")]
    public void TrainAePrintsTheErrorItsCheckpointHoldsAndEvalComputesAgain(string kind)
    {
        var settings = Tiny("ae", kind) with { AutoencoderKind = kind };
        var log = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings, log, _errors));
        string text = log.ToString();
        Assert.Contains($"train ae: ae-{kind}, ", text);
        var printed = Printed().Match(text[text.LastIndexOf("fashion-mnist-small test", StringComparison.Ordinal)..]);
        Assert.True(printed.Success, text);
        double error = double.Parse(printed.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(error / 784, double.Parse(printed.Groups[2].Value, CultureInfo.InvariantCulture), 5);
        var info = RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.LastFile));
        Assert.Equal(("autoencoder", "ae", "recon_error"), (info.Task, info.Kind(), info.Metric));
        Assert.Equal(error, info.Value!.Value, 3);
        Assert.True(error < 784 * 0.25, $"{kind}: {error}"); // below what predicting 0.5 everywhere costs on [0, 1] images

        // eval rebuilds the task from the checkpoint's settings (the denoising noise from its fixed key) and prints the same number.
        var evalLog = new StringWriter();
        Assert.Equal(0, EvalCommand.Run(settings.Output!, null, null, 64, fixture.Spec.ToString(), evalLog, _errors));
        Assert.Contains($"reconstruction error {printed.Groups[1].Value} per image", evalLog.ToString());
        Assert.Contains(kind switch { "denoising" => "from inputs with gaussian noise 0.3", "sparse" => "; L1 of the code ", "contractive" => "; Jacobian norm² ", _ => "(MSE " }, evalLog.ToString());
    }

    [Fact]
    public void SampleWritesReconstructionsDenoisingTriplesAndTheLatentPlots()
    {
        var ae = Tiny("ae", "denoising") with { AutoencoderKind = "denoising", Noise = "masking", Latent = 2 };
        Assert.Equal(0, TrainCommand.Run(ae, new StringWriter(), _errors));
        var log = new StringWriter();
        Assert.Equal(0, SampleCommand.Run(ae.Output!, null, 12, 1, null, fixture.Spec.ToString(), log, _errors));
        Assert.Contains("ae (epoch 1): wrote 6 reconstructions of fashion-mnist-small test images", log.ToString());
        Assert.Contains("4 noisy / output / clean triples (masking noise 0.25)", log.ToString());
        Assert.Contains("the 2-D codes of 1000 test images", log.ToString());
        Assert.Equal(4 * 30 + 2, RunFiles.PngSize(Path.Combine(ae.Output!, "reconstructions.png")).Width); // 6 pairs, 4 columns of 28 + 2
        Assert.Equal(3 * 30 + 2, RunFiles.PngSize(Path.Combine(ae.Output!, "denoising.png")).Width); // 4 triples, 3 columns
        Assert.Equal((LatentPlot.Width, LatentPlot.Height), RunFiles.PngSize(Path.Combine(ae.Output!, "latent.png")));
        Assert.False(File.Exists(Path.Combine(ae.Output!, "manifold.png"))); // the VAE's alone

        var vae = Tiny("vae", "vae") with { Latent = 2 };
        Assert.Equal(0, TrainCommand.Run(vae, new StringWriter(), _errors));
        log = new StringWriter();
        Assert.Equal(0, SampleCommand.Run(vae.Output!, null, 16, 1, null, fixture.Spec.ToString(), log, _errors));
        Assert.Contains("and the 4x4 manifold to", log.ToString());
        Assert.Equal((LatentPlot.Width, LatentPlot.Height), RunFiles.PngSize(Path.Combine(vae.Output!, "latent.png")));
        Assert.Equal((4 * 30 + 2, 4 * 30 + 2), RunFiles.PngSize(Path.Combine(vae.Output!, "manifold.png"))); // 4x4 codes
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.975, 1.959963985)]
    [InlineData(0.05, -1.644853627)]
    [InlineData(0.001, -3.090232306)]
    [InlineData(0.9999, 3.719016485)]
    public void TheManifoldsQuantilesAreTheNormalsProbit(double p, double z) => Assert.Equal(z, Probit.Of(p), 7);
}
