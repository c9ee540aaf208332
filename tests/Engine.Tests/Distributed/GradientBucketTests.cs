using Engine.Distributed;
using Engine.Graph;
using Engine.Tensors;

namespace Engine.Tests.Distributed;

/// <summary>
/// Buckets are cut from the order gradients become final, the first smaller than the rest (as
/// DDP's), and lie in the flat gradient buffer as few ranges as their parameters allow.
/// </summary>
public sealed class GradientBucketTests
{
    private static Parameter Of(int size) => new(new Shape(size), new Initializer.Constant(0f));

    [Fact]
    public void BucketsFollowTheFinalOrderAndMergeNeighbouringGradients()
    {
        // Registered p0..p4 side by side (offsets 0, 3, 103, 108, 128); final in reverse, as most are.
        Parameter p0 = Of(3), p1 = Of(100), p2 = Of(5), p3 = Of(20), p4 = Of(10);
        var order = new List<(Parameter, long)> { (p4, 128), (p3, 108), (p2, 103), (p1, 3), (p0, 0) };
        var buckets = GradientBucket.Form(order, firstCapacity: 30, capacity: 110);
        Assert.Equal(2, buckets.Count);
        Assert.Equal([p4, p3], buckets[0].Parameters);
        Assert.Equal([(108L, 30L)], buckets[0].Ranges);
        Assert.Equal([p2, p1, p0], buckets[1].Parameters);
        Assert.Equal([(0L, 108L)], buckets[1].Ranges);

        // A parameter larger than a bucket travels alone; gradients that are not neighbours are ranges of their own.
        var apart = GradientBucket.Form([(p1, 3), (p4, 128), (p2, 103)], firstCapacity: 50, capacity: 20);
        Assert.Equal([[p1], [p4, p2]], apart.Select(b => b.Parameters.ToArray()));
        Assert.Equal([(103L, 5L), (128L, 10L)], apart[1].Ranges);
        Assert.Equal(15, apart[1].Count);
    }
}
