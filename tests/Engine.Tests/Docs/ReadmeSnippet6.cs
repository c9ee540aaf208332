using Engine.Graph;
using Engine.Modules.Layers;
using Engine.Optim;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 6, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet6
{
    internal static float Run(Engine.Devices.ComputeDevice device, float[] images, int[] labels, IReadOnlyDictionary<string, string> metadata)
    {
        #region readme
        var model = new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new BatchNorm2d(16), ReLU.Create(), new MaxPool2d(2),
            new Flatten(), new Linear(16 * 4 * 4, 10));
        model.Initialize(device, seed: 1);                    // PyTorch's default initialisation

        var g = new GraphBuilder(device);                     // training mode
        var x = g.Input("x", 32, 1, 8, 8);
        var y = g.IntInput("y", 32);
        var loss = model.Call(x).CrossEntropy(y);
        using var step = g.Compile(loss);                     // forward + backward, buffers planned by liveness
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 3e-3f);

        step.Value(x).CopyFrom(images);                       // explicit copies in ...
        step.IntValue(y).CopyFrom(labels);
        adam.ZeroGrad(); step.Forward(); step.Backward(); adam.Step();
        float value = step.Value(loss).ToArray()[0];          // ... and out

        // PyTorch's param_groups and schedulers: no decay on biases and norms, one cycle stepped per batch
        using var sgd = new Sgd(ParameterGroup.NoDecayOnBiasesAndNorms(model.NamedParameters().Select(p => p.Parameter)),
                                0.1f, momentum: 0.9f, weightDecay: 5e-4f);
        var cycle = new OneCycleLR(sgd, maxRate: 0.1f, totalSteps: 1000);   // cycle.Step() after sgd.Step()
        var plateau = new ReduceLROnPlateau(adam, PlateauMode.Max);        // plateau.Step(accuracy) each epoch

        Engine.Checkpoints.StateDict.Save(model, "model.safetensors");   // atomic, PyTorch names
        Engine.Checkpoints.TrainingCheckpoint.Save("last.safetensors", model, adam, metadata);   // model + optimiser, one commit
        #endregion
        return value;
    }
}
