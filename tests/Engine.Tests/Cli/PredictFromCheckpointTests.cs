using Engine.Cli;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.IO;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary><c>predict --checkpoint runs/NAME</c> builds the model the run recorded, so its options need not be repeated.</summary>
[Collection(DeviceCollection.Name)]
public sealed class PredictFromCheckpointTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-predict-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string[] Predict(string output, params string[] model) =>
        ["predict", .. model, "--input", PathOf("x.npy"), "--output", PathOf(output), "--device", fixture.Spec.ToString()];

    [Fact]
    public void TheCheckpointsOptionsGiveTheSameNumbersAsTheOptionsTypedByHand()
    {
        var settings = new TrainSettings
        {
            Model = "resnet", Device = fixture.Spec.ToString(), Output = PathOf("run"), Epochs = 1, Width = 4, Limit = 32, BatchSize = 16, Plain = true,
        };
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings, TextWriter.Null, errors));
        NpyFile.Write(PathOf("x.npy"), Reference.Random(5 * 28 * 28, 11, 0f, 1f), 5, 1, 28, 28);

        var log = new StringWriter();
        Assert.Equal(0, EngineCli.Run(Predict("recorded.npy", "--checkpoint", PathOf("run")), log, errors));
        Assert.Equal(0, EngineCli.Run(Predict("typed.npy", "--model", "resnet18", "--classes", "10", "--in-channels", "1", "--small-stem", "--base-width", "4",
            "--weights", Path.Combine(PathOf("run"), RunFolder.LastFile)), log, errors));
        Assert.Equal("", errors.ToString());
        Assert.Contains("resnet18: wrote (5, 10) to", log.ToString());
        var recorded = NpyFile.Read(PathOf("recorded.npy"));
        var typed = NpyFile.Read(PathOf("typed.npy"));
        Assert.Equal([5, 10], recorded.Shape);
        Assert.Contains(recorded.Data, v => v != 0f); // logits of a trained model, not a buffer left at zero
        Reference.AssertExactly(typed.Data, recorded.Data, "logits from --checkpoint against the options typed");

        // Options that agree with the record are accepted; one that contradicts it gets one line naming both values.
        Assert.Equal(0, EngineCli.Run(Predict("agreeing.npy", "-c", PathOf("run"), "--classes", "10", "--model", "resnet18"), log, errors));
        Assert.Equal(1, EngineCli.Run(Predict("refused.npy", "-c", PathOf("run"), "--classes", "5", "--base-width", "4", "--small-stem", "false"), log, errors));
        string line = errors.ToString().Trim();
        Assert.DoesNotContain('\n', line);
        Assert.Equal($"error: '{Path.Combine(PathOf("run"), RunFolder.LastFile)}' holds a model built otherwise: --classes 5 (it records 10), --small-stem off (it records on); " +
            "leave those options out, the model is taken from the checkpoint.", line);
        Assert.False(File.Exists(PathOf("refused.npy")));

        // A checkpoint file of any name is read, never replaced by the output, and the refusal names the option that gave it.
        File.Copy(Path.Combine(PathOf("run"), RunFolder.LastFile), PathOf("kept.safetensors"));
        byte[] kept = File.ReadAllBytes(PathOf("kept.safetensors"));
        errors.GetStringBuilder().Clear();
        Assert.Equal(1, EngineCli.Run(Predict("kept.safetensors", "-c", PathOf("kept.safetensors")), log, errors));
        Assert.Equal($"error: --output '{PathOf("kept.safetensors")}' is the --checkpoint ('{PathOf("kept.safetensors")}'), which this command reads: writing it would replace it. Choose another --output.", errors.ToString().Trim());
        Assert.Equal(kept, File.ReadAllBytes(PathOf("kept.safetensors")));
    }

    [Fact]
    public void PredictNeedsACheckpointOrAModelWithWeights()
    {
        NpyFile.Write(PathOf("x.npy"), new float[28 * 28], 1, 1, 28, 28);
        var errors = new StringWriter();
        Assert.Equal(2, EngineCli.Run(Predict("y.npy", "--model", "resnet18"), TextWriter.Null, errors));
        Assert.Equal("error: predict needs --checkpoint (a run folder or checkpoint), or --model and --weights; --weights is missing (see 'predict --help')", errors.ToString().Trim());
        errors.GetStringBuilder().Clear();
        Assert.Equal(2, EngineCli.Run(Predict("y.npy", "-c", PathOf("run"), "--weights", PathOf("w.safetensors")), TextWriter.Null, errors));
        Assert.Equal($"error: predict takes --checkpoint or --weights, not both (got --checkpoint '{PathOf("run")}' and --weights '{PathOf("w.safetensors")}') (see 'predict --help')", errors.ToString().Trim());
    }
}
