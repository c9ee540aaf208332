using System.CommandLine;
using Engine.Cli.Datasets;
using Engine.Cli.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>train resnet|unet|vae</c>: trains on a dataset (the embedded default when none is named),
/// with a progress bar, an evaluation after every epoch and a checkpoint in the output folder.
/// </summary>
internal static class TrainCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "resnet (classification), unet (segmentation) or vae." };
        var dataset = new Option<string?>("--dataset") { Description = $"One of {string.Join(", ", DatasetCatalog.Names)} (default: fashion-mnist-small for resnet and vae, brain-mri for unet)." };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: data/<dataset>)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: resnet 3, unet 30, vae 10)." };
        var batch = new Option<int?>("--batch-size", "-b") { Description = "Images per step (default: resnet 64, unet 4, vae 64)." };
        var lr = new Option<float?>("--lr") { Description = "Peak learning rate of AdamW, annealed by a cosine (default: resnet 2e-3, unet 2e-3, vae 1e-3)." };
        var decay = new Option<float?>("--weight-decay") { Description = "AdamW weight decay (default: resnet 5e-4, unet 1e-4, vae 0)." };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, shuffling and augmentation.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--output", "-o") { Description = "Run folder for checkpoints (default: runs/<model>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in the run folder." };
        var width = new Option<int?>("--base-width", "--width") { Description = "Channels of the first level: the ResNet stem, the U-Net's first level (default: 8)." };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N training and N test images." };
        var augment = new Option<bool?>("--augment") { Description = "Random flips and shifts (default: on for unet)." };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of a live bar." };
        var device = CommonOptions.Device();
        var command = new Command("train", "Train a model and evaluate it after every epoch.")
        {
            model, dataset, data, device, epochs, batch, lr, decay, seed, output, resume, width, limit, augment, plain,
        };
        command.SetAction(result => Run(new TrainSettings
        {
            Model = result.GetValue(model)!,
            Dataset = result.GetValue(dataset),
            DataDirectory = result.GetValue(data),
            Device = result.GetValue(device),
            Epochs = result.GetValue(epochs),
            BatchSize = result.GetValue(batch),
            LearningRate = result.GetValue(lr),
            WeightDecay = result.GetValue(decay),
            Seed = result.GetValue(seed),
            Output = result.GetValue(output),
            Resume = result.GetValue(resume),
            Width = result.GetValue(width),
            Limit = result.GetValue(limit),
            Augment = result.GetValue(augment),
            Plain = result.GetValue(plain),
        }, Console.Out, Console.Error));
        return command;
    }

    internal static int Run(TrainSettings settings, TextWriter output, TextWriter errors) => CommonOptions.Guard(errors, () =>
    {
        Trainer.Run(settings, output);
        return 0;
    });
}
