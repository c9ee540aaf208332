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
/// <c>sample --checkpoint runs/vae</c>: decodes codes drawn from the prior N(0, I) into a PNG grid
/// (<c>samples.png</c>) and writes test images beside their reconstructions (<c>reconstructions.png</c>:
/// odd columns the originals, even columns the decoded posterior means).
/// </summary>
internal static class SampleCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A VAE run folder (its last checkpoint) or a checkpoint file.", Required = true };
        var folderOption = new Option<string?>("--output", "-o") { Description = "Folder for samples.png and reconstructions.png (default: the run folder)." };
        var count = new Option<int>("--count") { Description = "Images per grid.", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the prior samples.", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: data/<dataset>)." };
        var device = CommonOptions.Device();
        var command = new Command("sample", "Draw VAE samples from the prior and reconstructions of test images as PNG grids.") { checkpoint, folderOption, count, seed, data, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(folderOption), result.GetValue(count), result.GetValue(seed),
            result.GetValue(data), result.GetValue(device), output, errors));
        return command;
    }

    internal static int Run(string checkpoint, string? output, int count, ulong seed, string? dataDirectory, string? deviceSpec, TextWriter log, TextWriter errors) =>
        CommonOptions.Guard(errors, () =>
        {
            if (count < 2 || count > 1024)
                throw new ArgumentException($"--count must be between 2 and 1024, got {count}.");
            string folder = output ?? RunFolder.FolderOf(checkpoint);
            var folderKind = PathKinds.Of(folder);
            if (folderKind is not (PathKind.Missing or PathKind.Directory) && !(folderKind == PathKind.SymbolicLink && Directory.Exists(folder)))
                throw new IOException($"--output '{folder}' is {PathKinds.Describe(folderKind)}, not a folder for the PNGs.");
            string samplesPath = AtomicFile.CheckTarget(Path.Combine(folder, "samples.png"));
            string pairsPath = AtomicFile.CheckTarget(Path.Combine(folder, "reconstructions.png"));
            using var loaded = LoadedCheckpoint.Open(checkpoint, "vae", deviceSpec);
            var vae = (Vae)loaded.Model;
            int side = vae.Size, plane = side * side;
            int columns = (int)Math.Ceiling(Math.Sqrt(count));

            // Prior samples: z ~ N(0, I) (Box-Muller on the host, keyed by the seed), decoded to Bernoulli means.
            var random = new PhiloxRandom(RandomStreams.Derive(seed, RandomStream.Sampling));
            var codes = new float[count * vae.Latent];
            for (int i = 0; i < codes.Length; i++)
                codes[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            var g = new GraphBuilder(loaded.Device, training: false);
            var z = g.Input("z", count, vae.Latent);
            var pixels = vae.Decode(z).Sigmoid();
            float[] samples;
            using (var plan = g.CompileInference(pixels))
            {
                plan.Value(z).CopyFrom(codes);
                plan.Forward();
                samples = plan.Value(pixels).ToArray();
            }
            RgbImage.Grid(samples, count, side, side, columns).SavePng(samplesPath);

            // Reconstructions of the first test images: original, reconstruction, side by side.
            int pairs = count / 2;
            var test = DatasetCatalog.Load(loaded.Info.Dataset(checkpoint), dataDirectory).Test.Take(pairs);
            var r = new GraphBuilder(loaded.Device, training: false);
            var x = r.Input("x", test.Count, test.Channels, test.Height, test.Width);
            var reconstruction = vae.Decode(vae.Encode(x).Mu).Sigmoid();
            float[] decoded;
            using (var plan = r.CompileInference(reconstruction))
            {
                plan.Value(x).CopyFrom(test.Images);
                plan.Forward();
                decoded = plan.Value(reconstruction).ToArray();
            }
            var interleaved = new float[2 * test.Count * plane];
            for (int i = 0; i < test.Count; i++)
            {
                test.Images.AsSpan(i * plane, plane).CopyTo(interleaved.AsSpan(2 * i * plane));
                decoded.AsSpan(i * plane, plane).CopyTo(interleaved.AsSpan((2 * i + 1) * plane));
            }
            RgbImage.Grid(interleaved, 2 * test.Count, side, side, 2 * Math.Max(1, columns / 2)).SavePng(pairsPath);
            log.WriteLine($"vae (epoch {loaded.Info.Epoch}): wrote {count} prior samples to {samplesPath} and {test.Count} reconstructions of {loaded.Info.Dataset(checkpoint)} test images to {pairsPath}");
            return 0;
        });
}
