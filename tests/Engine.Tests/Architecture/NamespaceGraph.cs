namespace Engine.Tests.Architecture;

/// <summary>
/// Which namespace uses which, each edge with one example pair of types (the first in ordinal
/// order, so the report is the same every run), and the cycles among them: Tarjan's strongly
/// connected components, each reported as one closed path with an example type pair per step.
/// </summary>
internal sealed class NamespaceGraph
{
    // from namespace -> to namespace -> an example (user type, used type).
    private readonly SortedDictionary<string, SortedDictionary<string, (string User, string Used)>> _edges = new(StringComparer.Ordinal);

    private readonly Func<string, string> _layer;

    private NamespaceGraph(Func<string, string> layer) => _layer = layer;

    /// <summary>
    /// The graph of the namespaces of <paramref name="uses"/>' (user, used) type full names, each
    /// namespace mapped through <paramref name="layer"/> when given (to count a folder and its
    /// subfolders as one node, say).
    /// </summary>
    public static NamespaceGraph FromTypes(IEnumerable<(string User, string Used)> uses, Func<string, string>? layer = null)
    {
        var graph = new NamespaceGraph(layer ?? (ns => ns));
        foreach (var (user, used) in uses)
            graph.Add(user, used);
        return graph;
    }

    /// <summary>
    /// The folder below <paramref name="root"/> that namespace <paramref name="ns"/> lies in:
    /// <c>Engine.Graph.Nodes</c> is <c>Engine.Graph</c> under root <c>Engine</c>; a namespace outside
    /// the root stays itself.
    /// </summary>
    public static string TopFolder(string ns, string root)
    {
        if (!ns.StartsWith(root + ".", StringComparison.Ordinal))
            return ns;
        int dot = ns.IndexOf('.', root.Length + 1);
        return dot < 0 ? ns : ns[..dot];
    }

    /// <summary>Records that type <paramref name="user"/> uses type <paramref name="used"/> (full names).</summary>
    public void Add(string user, string used)
    {
        string from = _layer(NamespaceOf(user)), to = _layer(NamespaceOf(used));
        if (from == to)
            return;
        if (!_edges.TryGetValue(from, out var targets))
            _edges[from] = targets = new(StringComparer.Ordinal);
        if (!targets.TryGetValue(to, out var example) || string.CompareOrdinal(user + " " + used, example.User + " " + example.Used) < 0)
            targets[to] = (user, used);
        if (!_edges.ContainsKey(to))
            _edges[to] = new(StringComparer.Ordinal);
    }

    /// <summary>Whether namespace <paramref name="from"/> uses namespace <paramref name="to"/> directly.</summary>
    public bool Uses(string from, string to) => _edges.TryGetValue(from, out var targets) && targets.ContainsKey(to);

    /// <summary>
    /// One line per cycle (strongly connected component of two or more namespaces): the closed path
    /// through its first namespace, then each step's example, then the component's members when the
    /// path does not visit them all. Empty when the namespaces form a DAG.
    /// </summary>
    public List<string> Cycles()
    {
        var lines = new List<string>();
        foreach (var component in Components().Where(c => c.Count > 1))
        {
            var members = new HashSet<string>(component, StringComparer.Ordinal);
            string start = component.Min(StringComparer.Ordinal)!;
            var path = ShortestCycle(start, members);
            var steps = path.Zip(path.Skip(1), (a, b) => $"{_edges[a][b].User} uses {_edges[a][b].Used}");
            string line = $"{string.Join(" -> ", path)}: {string.Join("; ", steps)}";
            if (component.Count > path.Count - 1)
                line += $" (all in the cycle: {string.Join(", ", component.Order(StringComparer.Ordinal))})";
            lines.Add(line);
        }
        return lines;
    }

    private static string NamespaceOf(string type) => type.LastIndexOf('.') is var dot and >= 0 ? type[..dot] : "";

    // Breadth-first from start's successors back to start, inside the component: start, ..., start.
    private List<string> ShortestCycle(string start, HashSet<string> members)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            string at = queue.Dequeue();
            foreach (string next in _edges[at].Keys.Where(members.Contains))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (string back = at; back != start; back = previous[back])
                        path.Add(back);
                    path.Add(start);
                    path.Reverse();
                    return path;
                }
                if (previous.TryAdd(next, at))
                    queue.Enqueue(next);
            }
        }
        throw new InvalidOperationException($"{start} is in a strongly connected component but on no cycle.");
    }

    // Tarjan's algorithm, iterative over the sorted namespaces so the order is fixed.
    private List<List<string>> Components()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();
        foreach (string root in _edges.Keys)
        {
            if (index.ContainsKey(root))
                continue;
            var work = new Stack<(string Node, IEnumerator<string> Next)>();
            void Visit(string node)
            {
                index[node] = low[node] = index.Count;
                stack.Push(node);
                onStack.Add(node);
                work.Push((node, _edges[node].Keys.GetEnumerator()));
            }
            Visit(root);
            while (work.Count > 0)
            {
                var (node, next) = work.Peek();
                if (next.MoveNext())
                {
                    string to = next.Current;
                    if (!index.ContainsKey(to))
                        Visit(to);
                    else if (onStack.Contains(to))
                        low[node] = Math.Min(low[node], index[to]);
                    continue;
                }
                work.Pop();
                if (work.Count > 0)
                    low[work.Peek().Node] = Math.Min(low[work.Peek().Node], low[node]);
                if (low[node] != index[node])
                    continue;
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                } while (member != node);
                components.Add(component);
            }
        }
        return components;
    }
}
