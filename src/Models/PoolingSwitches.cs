using Engine.Graph;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// The switches of an encoder's 2x2 max poolings, kept for a decoder that unpools with them
/// (SegNet, DeconvNet): each pooling's arg-max indices and the size it pooled, so that odd sides
/// unpool back to their own size. Nodes are named <c>pool1</c>.. and <c>unpool1</c>.. by block.
/// </summary>
internal sealed class PoolingSwitches
{
    private readonly Node[] _indices;
    private readonly (int H, int W)[] _sizes;

    private PoolingSwitches(int depth)
    {
        _indices = new Node[depth];
        _sizes = new (int H, int W)[depth];
    }

    /// <summary>Blocks 1 to <paramref name="depth"/> in turn, each followed by 2x2 max pooling whose switches are kept; the last pooling's output.</summary>
    public static (Node Output, PoolingSwitches Switches) Encode(Node x, int depth, Func<int, Node, Node> block)
    {
        var switches = new PoolingSwitches(depth);
        var h = x;
        for (int b = 1; b <= depth; b++)
        {
            h = block(b, h); // [N, C_b, H_b, W_b]
            switches._sizes[b - 1] = (h.Shape[2], h.Shape[3]);
            (h, switches._indices[b - 1]) = new MaxPool2d(2).WithIndices(h, $"pool{b}"); // [N, C_b, H_b / 2, W_b / 2]
        }
        return (h, switches);
    }

    /// <summary>From the deepest block back to the first: unpooling with that block's switches to its size, then <paramref name="block"/>.</summary>
    public Node Decode(Node h, Func<int, Node, Node> block)
    {
        for (int b = _indices.Length; b >= 1; b--)
        {
            h = new MaxUnpool2d(2).Call(h, _indices[b - 1], _sizes[b - 1], $"unpool{b}");
            h = block(b, h);
        }
        return h;
    }
}
