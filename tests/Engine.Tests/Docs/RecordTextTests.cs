using Engine.Checkpoints;
using Engine.IO;
using Engine.Models;
using Engine.Optim;

namespace Engine.Tests.Docs;

/// <summary>A public record prints its values (a shape as [2, 3], data by its size), never a type name such as System.Int64[].</summary>
public sealed class RecordTextTests
{
    [Fact]
    public void RecordsPrintTheirValues()
    {
        Assert.Equal("SafeTensorInfo { Name = fc.weight, Type = F32, Shape = [2, 3], Begin = 0, End = 24 }",
            new SafeTensorInfo("fc.weight", SafeTensorType.F32, [2, 3], 0, 24).ToString());
        Assert.Equal("SafeTensor { Name = fc.bias, Type = F32, Shape = [2], Data = 8 bytes }",
            SafeTensor.FromFloats("fc.bias", [1f, 2f], 2).ToString());
        Assert.Equal("NpyArray { Shape = [1, 2], Data = 2 values }", new NpyArray([1, 2], [0f, 1f]).ToString());
        Assert.Equal("NiftiVolume { X = 1, Y = 2, Z = 1, Data = 2 values }", new NiftiVolume(1, 2, 1, [0f, 1f]).ToString());
        Assert.Equal("ParameterGroup { Parameters = 0, LearningRate = 0.1, WeightDecay = the optimiser's }", new ParameterGroup([], 0.1f).ToString());
        Assert.Equal("ModelOptions { Name = resnet18, Classes = 10, InChannels = 1, SmallStem = True, Padded = False, BaseWidth = 64, Latent = 20, ImageSize = 28, " +
            "Depth = , BatchNorm = False, HeadChannels = , AtrousRate = 12, OutputStride = 8, ImageWidth =  }",
            new ModelOptions("resnet18", 10, 1, SmallStem: true).ToString());
        string checkpoint = new Engine.Training.CheckpointInfo
        {
            Task = "classification", Options = new Engine.Training.TrainingOptions(), Metric = "accuracy", Epoch = 2, StepsPerEpoch = 5,
            History = ["after epoch 1: LearningRate 0.002 -> 0.001"], EpochLog = [new(1, 5, 0.5, 0.9, 0.002f, 1.5), new(2, 10, 0.4, 0.95, 0.001f, 1.5)],
        }.ToString();
        Assert.Contains("Position = after epoch 2, StepsPerEpoch = 5, Metric = accuracy", checkpoint);
        Assert.Contains("History = [after epoch 1: LearningRate 0.002 -> 0.001], EpochLog = 2 epochs, StepLog = 0 steps", checkpoint);
        Assert.DoesNotContain("System.", checkpoint);
    }
}
