using System.CommandLine;
using Engine.Checkpoints;
using Engine.Graph;
using Engine.IO;
using Engine.Models;
using Engine.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>predict --checkpoint runs/NAME --input X.npy --output Y.npy</c> (the model as the run recorded
/// it) or <c>predict --model resnet18 --weights W.safetensors --input X.npy --output Y.npy</c>: runs the
/// model in evaluation mode on a float32 NCHW array and writes its outputs (logits; the VAE's
/// reconstructed pixels) as .npy. The input is read and the output written a batch at a time, so
/// memory stays that of one batch whatever the file's size. Weights may come from PyTorch
/// (torchvision names, int64 num_batches_tracked entries) or be a training checkpoint.
/// </summary>
internal static class PredictCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var model = new Option<string?>("--model") { Description = $"One of {string.Join(", ", ModelFactory.Names)} (with --weights; --checkpoint records it)." };
        var weights = new Option<string?>("--weights") { Description = "A safetensors state dict (or a training checkpoint), with --model and the model's options." };
        var checkpoint = new Option<string?>("--checkpoint", "-c") { Description = "A run folder (its last checkpoint) or a training checkpoint: the model and its options as the run recorded them." };
        var input = new Option<string>("--input") { Description = "A float32 or float64 [N, C, H, W] .npy file.", Required = true };
        var outputPath = new Option<string>("--output") { Description = "Where to write the outputs (.npy).", Required = true };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per forward pass.", DefaultValueFactory = _ => 64 };
        var device = CommonOptions.Device();
        var options = new ModelOptionSet();
        var command = new Command("predict", "Run a model on a .npy batch and write its outputs as .npy.") { model, weights, checkpoint, input, outputPath, batch, device };
        options.AddTo(command);
        // Neither way, or both, is a command line that does not parse (exit 2, as a missing option).
        command.Validators.Add(result =>
        {
            string? m = result.GetValue(model), w = result.GetValue(weights), c = result.GetValue(checkpoint);
            if (c is null && (m is null || w is null))
                result.AddError($"predict needs --checkpoint (a run folder or checkpoint), or --model and --weights; {(m is null && w is null ? "neither was given" : m is null ? "--model is missing" : "--weights is missing")}");
            else if (c is not null && w is not null)
                result.AddError($"predict takes --checkpoint or --weights, not both (got --checkpoint '{c}' and --weights '{w}')");
        });
        command.SetAction(result =>
        {
            var (modelOptions, weightsPath) = Source(result, options, result.GetValue(model), result.GetValue(weights), result.GetValue(checkpoint));
            return Run(modelOptions, weightsPath, result.GetValue(input)!, result.GetValue(outputPath)!, result.GetValue(device), output, errors, result.GetValue(batch),
                weightsOption: result.GetValue(checkpoint) is null ? "--weights" : "--checkpoint");
        });
        return command;
    }

    /// <summary>
    /// The model and its weights: from <c>--checkpoint</c>, as the run recorded them (options given
    /// beside it must agree), or from <c>--model</c>, the model options and <c>--weights</c>.
    /// </summary>
    /// <exception cref="ArgumentException">An option that contradicts the checkpoint.</exception>
    private static (ModelOptions Options, string Weights) Source(ParseResult result, ModelOptionSet options, string? model, string? weights, string? checkpoint)
    {
        if (checkpoint is null)
            return (options.Read(result, model!), weights!); // the validator saw both given
        string path = RunFolder.CheckpointFile(checkpoint);
        var recorded = RunFolder.ReadInfo(path).Model
            ?? throw new InvalidDataException($"'{path}' does not say how to build its model (a program trained it without model options); use predict with --model, its options and --weights.");
        return (options.Agree(result, model, recorded, path), path);
    }

    /// <summary>Runs the model built from <paramref name="options"/> with the weights at <paramref name="weightsPath"/> (given by <paramref name="weightsOption"/>) on the input batch.</summary>
    internal static int Run(ModelOptions options, string weightsPath, string inputPath, string outputPath, string? deviceSpec, TextWriter output, TextWriter errors, int batchSize = 64,
        string weightsOption = "--weights") =>
        ErrorReport.Guard(errors, () =>
        {
            if (batchSize <= 0)
                throw new ArgumentException($"--batch-size must be positive, got {batchSize}.");
            OutputGuard.Check("--output", outputPath, [($"the {weightsOption}", weightsPath), ("the --input", inputPath)]);
            using var reader = NpyReader.Open(inputPath);
            var shape = reader.Shape;
            if (shape.Count != 4)
                throw new ArgumentException($"--input must be [N, C, H, W], but '{inputPath}' has shape ({string.Join(", ", shape)}).");
            if (shape.Any(d => d == 0))
                throw new ArgumentException($"--input '{inputPath}' has shape ({string.Join(", ", shape)}): no images.");
            if (shape[1] != options.InChannels)
                throw new ArgumentException($"--input has {shape[1]} channels but the model takes --in-channels {options.InChannels}.");
            int count = shape[0], batch = Math.Min(batchSize, count);
            long perImage = (long)shape[1] * shape[2] * shape[3];
            if (perImage * batch > Array.MaxLength)
                throw new ArgumentException($"--input images of {shape[1]}x{shape[2]}x{shape[3]} in batches of {batch} are more values than one batch buffer holds; lower --batch-size.");
            ModelOptionSet.Check(options with { ImageSize = shape[2] }, $"the height of --input's images");
            var model = ModelFactory.Create(options with { ImageSize = shape[2] });
            using var device = CommonOptions.OpenDevice(deviceSpec);
            model.Initialize(device);
            try
            {
                StateDict.Load(model, weightsPath);
                var g = new GraphBuilder(device, training: false);
                var x = g.Input("x", batch, shape[1], shape[2], shape[3]);
                var result = model is Vae vae ? vae.Decode(vae.Encode(x).Mu).Sigmoid() : model.Call(x);
                using var plan = g.CompileInference(result);
                int imageSize = (int)perImage, outputSize = checked((int)(result.Shape.Numel / batch));
                int[] outputShape = [count, .. result.Shape.Dims[1..]];
                var images = new float[batch * imageSize];
                using var writer = NpyWriter.Create(outputPath, outputShape);
                for (int start = 0; start < count; start += batch)
                {
                    int n = Math.Min(batch, count - start);
                    reader.Read(images.AsSpan(0, n * imageSize));
                    int bad = Array.FindIndex(images, 0, n * imageSize, v => !float.IsFinite(v));
                    if (bad >= 0)
                        throw new InvalidDataException($"'{inputPath}' holds a non-finite value ({images[bad]}) in image {start + bad / imageSize}; the model's outputs would be meaningless.");
                    images.AsSpan(n * imageSize).Clear(); // a last, partial batch runs padded with zeros
                    plan.Value(x).CopyFrom(images);
                    plan.Forward();
                    writer.Write(plan.Value(result).ToArray().AsSpan(0, n * outputSize));
                }
                writer.Commit();
                output.WriteLine($"{options.Name}: wrote ({string.Join(", ", outputShape)}) to {outputPath} ({device.Info.Spec}, batches of {batch})");
                return 0;
            }
            finally
            {
                model.Release();
            }
        });
}
