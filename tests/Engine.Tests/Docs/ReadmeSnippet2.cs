using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 2, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet2
{
    internal static TrainingResult Run(Trainer trainer)
    {
        #region readme
        // One folder of images per class (torchvision's ImageFolder), decoded a batch at a time.
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var photos = new TransformedDataset(new ImageFolderDataset("data/train", channels: 3, height: 72, width: 72),
            [new RandomCrop(64, 64), new RandomHorizontalFlip(), new Normalize(mean, std)]);   // drawn anew each epoch
        var held = new TransformedDataset(new ImageFolderDataset("data/test", 3, 64, 64), [new Normalize(mean, std)]);
        TrainingResult streamed = trainer.Fit(photos, held);  // any IDataset: the same seeded, resumable order
        #endregion
        return streamed;
    }
}
