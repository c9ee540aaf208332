using System.CommandLine;
using Engine.Cli.Datasets;
using Engine.Cli.Imaging;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Data;
using Engine.Graph;
using Engine.IO;
using Engine.Ops.Random;
using Engine.Models;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>sample --checkpoint runs/vae|runs/ae</c>: for a VAE, decodes codes drawn from the prior
/// N(0, I) into a PNG grid (<c>samples.png</c>); for both, writes test images beside their
/// reconstructions (<c>reconstructions.png</c>: odd columns the originals, even columns the decoded
/// codes), for a denoising autoencoder noisy / output / clean triples (<c>denoising.png</c>), and
/// with a 2-D code the test set's codes coloured by class (<c>latent.png</c>, ScottPlot) and, for
/// the VAE, the decoded manifold over the prior's quantiles (<c>manifold.png</c>, as Kingma &amp;
/// Welling's figure); with a wider code, an exact t-SNE of the codes of the first
/// <c>--tsne-points</c> test images coloured by class (<c>tsne.png</c>, the codes and the embedding in
/// <c>tsne.csv</c>), with its KL divergence and trustworthiness printed.
/// </summary>
internal static class SampleCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A VAE or autoencoder run folder (its last checkpoint) or a checkpoint file.", Required = true };
        var folderOption = new Option<string?>("--output", "-o") { Description = "Folder for the PNGs (default: the run folder)." };
        var count = new Option<int>("--count") { Description = "Images per grid.", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the prior samples and the denoising noise.", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: data/<dataset>)." };
        var tsnePoints = new Option<int>("--tsne-points")
        {
            Description = $"Test images whose codes a code wider than 2 embeds by t-SNE into tsne.png ({TsnePicture.MinPoints}-{TsnePicture.MaxPoints}; 0: none).",
            DefaultValueFactory = _ => DefaultTsnePoints,
        };
        var device = CommonOptions.Device();
        var command = new Command("sample", "Draw VAE samples from the prior, reconstructions of test images (a denoising autoencoder's noisy / output / clean triples), and latent spaces as PNGs (2-D codes directly, wider ones by t-SNE).") { checkpoint, folderOption, count, seed, data, tsnePoints, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(folderOption), result.GetValue(count), result.GetValue(seed),
            result.GetValue(data), result.GetValue(device), output, errors, result.GetValue(tsnePoints)));
        return command;
    }

    /// <summary>The test images <c>--tsne-points</c> embeds unless told otherwise.</summary>
    internal const int DefaultTsnePoints = 2000;

    /// <summary>Runs the command; <paramref name="tsnePoints"/> 0 (the default here, not on the command line) writes no t-SNE.</summary>
    internal static int Run(string checkpoint, string? output, int count, ulong seed, string? dataDirectory, string? deviceSpec, TextWriter log, TextWriter errors,
        int tsnePoints = 0) =>
        CommonOptions.Guard(errors, () =>
        {
            if (count < 2 || count > 1024)
                throw new ArgumentException($"--count must be between 2 and 1024, got {count}.");
            if (tsnePoints != 0 && (tsnePoints < TsnePicture.MinPoints || tsnePoints > TsnePicture.MaxPoints))
                throw new ArgumentException($"--tsne-points must be 0 or between {TsnePicture.MinPoints} and {TsnePicture.MaxPoints}, got {tsnePoints}.");
            string folder = output ?? RunFolder.FolderOf(checkpoint);
            var folderKind = PathKinds.Of(folder);
            if (folderKind is not (PathKind.Missing or PathKind.Directory) && !(folderKind == PathKind.SymbolicLink && Directory.Exists(folder)))
                throw new IOException($"--output '{folder}' is {PathKinds.Describe(folderKind)}, not a folder for the PNGs.");
            var info = RunFolder.ReadInfo(RunFolder.CheckpointFile(checkpoint));
            string kind = info.Kind();
            if (kind is not ("vae" or "ae"))
                throw new ArgumentException($"'{RunFolder.CheckpointFile(checkpoint)}' is a {kind} checkpoint; sample needs a vae or ae one (train vae, train ae).");
            string dataset = info.Dataset(checkpoint);
            string? dataFolder = info.DataDirectory(checkpoint, dataset, dataDirectory);
            (string, string)[] inputs = [("the --checkpoint", RunFolder.CheckpointFile(checkpoint)), .. DatasetCatalog.Files(dataset, dataFolder).Select(f => ("a file of the dataset", f))];
            string Target(string name) => OutputGuard.Check("--output", Path.Combine(folder, name), inputs);
            string samplesPath = Target("samples.png"), pairsPath = Target("reconstructions.png"), triplesPath = Target("denoising.png"),
                latentPath = Target("latent.png"), manifoldPath = Target("manifold.png"), tsnePath = Target("tsne.png"), tsneCsvPath = Target("tsne.csv");
            using var loaded = LoadedCheckpoint.Open(checkpoint, task: null, deviceSpec);
            var splits = DatasetCatalog.Load(dataset, dataFolder);
            var testSet = splits.Test;
            var test = testSet.Take(count / 2);
            int side = test.Height, plane = test.Channels * side * side;
            int columns = (int)Math.Ceiling(Math.Sqrt(count));
            var written = new List<string>();
            Directory.CreateDirectory(folder);

            Func<Node, Node> encode, decode;
            int latent;
            if (loaded.Model is Vae vae)
            {
                (encode, decode, latent) = (x => vae.Encode(x).Mu, z => vae.Decode(z).Sigmoid(), vae.Latent);
                // Prior samples: z ~ N(0, I) (Box-Muller on the host, keyed by the seed), decoded to Bernoulli means.
                var random = new PhiloxRandom(RandomStreams.Derive(seed, RandomStream.Sampling));
                var codes = new float[count * vae.Latent];
                for (int i = 0; i < codes.Length; i++)
                    codes[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
                RgbImage.Grid(Run(loaded, decode, codes, count, vae.Latent), count, side, side, columns).SavePng(samplesPath);
                written.Add($"{count} prior samples to {samplesPath}");
            }
            else
            {
                var ae = (Autoencoder)loaded.Model;
                (encode, decode, latent) = (ae.Encode, ae.Decode, ae.Code);
            }

            // Reconstructions of the first test images: original, reconstruction, side by side.
            float[] decoded = Run(loaded, x => decode(encode(x)), test.Images, test.Count, test.Channels, side, side);
            RgbImage.Grid(Interleave(plane, test.Images, decoded), 2 * test.Count, side, side, 2 * Math.Max(1, columns / 2)).SavePng(pairsPath);
            written.Add($"{test.Count} reconstructions of {dataset} test images to {pairsPath}");

            if (loaded.Model is Autoencoder { Kind: AutoencoderKind.Denoising } denoiser)
            {
                // The corruption of training, drawn from the seed: noisy, output, clean.
                var settings = loaded.Info.Application is null ? null : loaded.Info.CommandLineSettings(checkpoint);
                var noise = settings?.Noise == "masking" ? NoiseKind.Masking : NoiseKind.Gaussian;
                float level = settings?.NoiseLevel ?? 0.3f;
                int triples = Math.Max(1, count / 3);
                var some = testSet.Take(triples);
                var g = new GraphBuilder(loaded.Device, training: true, seed: RandomStreams.Derive(seed, RandomStream.Sampling));
                var x = g.Input("x", some.Count, some.Channels, side, side);
                var graph = denoiser.Build(x, noise: noise, noiseLevel: level);
                using var plan = g.CompileInference(graph.Input, graph.Reconstruction);
                plan.Value(x).CopyFrom(some.Images);
                plan.Forward();
                RgbImage.Grid(Interleave(plane, plan.Value(graph.Input).ToArray(), plan.Value(graph.Reconstruction).ToArray(), some.Images), 3 * some.Count, side, side, 3 * Math.Max(1, columns / 3))
                    .SavePng(triplesPath);
                written.Add($"{some.Count} noisy / output / clean triples ({noise.ToString().ToLowerInvariant()} noise {level:0.###}) to {triplesPath}");
            }

            // The codes [images.Count, latent] of a set of test images (the VAE's posterior means), in batches that divide it.
            float[] Encode(Engine.Data.ImageDataset images)
            {
                int batch = Enumerable.Range(1, Math.Min(250, images.Count)).Last(b => images.Count % b == 0);
                var codes = new float[images.Count * latent];
                for (int start = 0; start < images.Count; start += batch)
                {
                    var part = images.Select(Enumerable.Range(start, batch).ToArray());
                    Run(loaded, encode, part.Images, batch, part.Channels, side, side).CopyTo(codes, start * latent);
                }
                return codes;
            }

            if (latent == 2)
            {
                // The whole test set's codes, coloured by class.
                var codes = Encode(testSet);
                AtomicFile.WriteAllBytes(latentPath, LatentPlot.Render(codes, testSet.Labels, $"{loaded.ModelOptions.Name}: 2-D codes of {testSet.Count} {dataset} test images", splits.ClassNames));
                written.Add($"the 2-D codes of {testSet.Count} test images to {latentPath}");
                if (kind == "vae")
                {
                    // Kingma & Welling's manifold: z on a grid of the prior's quantiles (0.5/n .. 1 - 0.5/n), decoded.
                    int n = Math.Max(2, (int)Math.Sqrt(count));
                    var grid = new float[n * n * 2];
                    for (int row = 0; row < n; row++)
                        for (int col = 0; col < n; col++)
                        {
                            grid[(row * n + col) * 2] = (float)Probit.Of((col + 0.5) / n);
                            grid[(row * n + col) * 2 + 1] = (float)Probit.Of(1 - (row + 0.5) / n); // z₂ grows upward
                        }
                    RgbImage.Grid(Run(loaded, decode, grid, n * n, 2), n * n, side, side, n).SavePng(manifoldPath);
                    written.Add($"the {n}x{n} manifold to {manifoldPath}");
                }
            }
            if (latent > 2 && tsnePoints > 0)
            {
                var some = testSet.Take(tsnePoints);
                var summary = TsnePicture.Write(loaded.Device, Encode(some), latent, some.Labels, seed,
                    $"{loaded.ModelOptions.Name}: t-SNE of {some.Count} {latent}-D codes", splits.ClassNames, tsnePath, tsneCsvPath);
                written.Add($"the t-SNE of the {latent}-D codes of {summary.Points} test images to {tsnePath} (KL {summary.KlDivergence:F4}, " +
                    $"trustworthiness {summary.Trustworthiness:F4} at k = {TsnePicture.Neighbours}; codes and embedding in {tsneCsvPath})");
            }
            log.WriteLine($"{kind} (epoch {loaded.Info.Epoch}): wrote {string.Join(", ", written.SkipLast(1))}{(written.Count > 1 ? " and " : "")}{written[^1]}");
            return 0;
        });

    // Runs f in an evaluation graph over a batch of inputs shaped [count, dims...]; returns its output.
    private static float[] Run(LoadedCheckpoint loaded, Func<Node, Node> f, float[] inputs, int count, params int[] dims)
    {
        var g = new GraphBuilder(loaded.Device, training: false);
        var x = g.Input("x", [count, .. dims]);
        var y = f(x);
        using var plan = g.CompileInference(y);
        plan.Value(x).CopyFrom(inputs.AsSpan(0, (int)x.Shape.Numel));
        plan.Forward();
        return plan.Value(y).ToArray();
    }

    // Image i of every source, in turn: [a0, b0, (c0,) a1, b1, ...].
    private static float[] Interleave(int plane, params float[][] sources)
    {
        int count = sources[0].Length / plane;
        var result = new float[sources.Length * count * plane];
        for (int i = 0; i < count; i++)
            for (int s = 0; s < sources.Length; s++)
                sources[s].AsSpan(i * plane, plane).CopyTo(result.AsSpan((i * sources.Length + s) * plane));
        return result;
    }
}
