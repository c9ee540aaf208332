using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Graph;

/// <summary>
/// The compiled graph knows when, in the backward pass, each parameter's gradient is final:
/// <see cref="CompiledGraph.GradientOrder"/> lists them in that order, and
/// <see cref="CompiledGraph.GradientsFinal"/> names each one after the op that completes it, when
/// its gradient already holds what the whole backward pass leaves in it.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class GradientOrderTests(DeviceFixture fixture)
{
    // fc1 is read twice (its gradient is final only after the backward of its first use), frozen is not trained.
    private sealed class Shared : Module
    {
        public Shared()
        {
            Register("fc1", new Linear(3, 3));
            Register("frozen", new Linear(3, 3));
            Register("fc2", new Linear(3, 2));
        }

        protected override Node Forward(Node x) => Call("fc2", Call("fc1", Call("frozen", Call("fc1", x)).Relu()));
    }

    [Fact]
    public void EachGradientIsNamedOnceItIsFinalInTheOrderItBecomesFinal()
    {
        var model = new Shared();
        model.Initialize(fixture.Device, seed: 4);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        parameters["frozen.weight"].RequiresGrad = false;
        parameters["frozen.bias"].RequiresGrad = false;
        var g = new GraphBuilder(fixture.Device);
        var x = g.Input("x", new Shape(4, 3));
        var targets = g.IntInput("y", 4);
        using var plan = g.Compile(model.Call(x).CrossEntropy(targets));
        var names = parameters.ToDictionary(p => p.Value, p => p.Key);
        Assert.Equal(["fc2.weight", "fc2.bias", "fc1.weight", "fc1.bias"], plan.GradientOrder.Select(p => names[p]));

        var raised = new List<string>();
        var atEvent = new Dictionary<string, float[]>();
        plan.GradientsFinal += final =>
        {
            foreach (var p in final)
            {
                raised.Add(names[p]);
                atEvent[names[p]] = p.Grad.ToArray(); // waits for what is queued: the gradient as it stands then
            }
        };
        plan.Value(x).CopyFrom(Reference.Random(12, 7, -1f, 1f));
        plan.IntValue(targets).CopyFrom([0, 1, 1, 0]);
        plan.ZeroGrad();
        plan.Forward();
        plan.Backward();
        Assert.Equal(plan.GradientOrder.Select(p => names[p]), raised);
        foreach (string name in raised)
        {
            float[] final = parameters[name].Grad.ToArray();
            Assert.True(final.Any(v => v != 0f), $"{name} got no gradient");
            Assert.Equal(final, atEvent[name]);
        }
        model.Release();
    }
}
