using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>A training buffer: its field name, floats per sample, and why it exists.</summary>
internal sealed record TrainingBuffer(string Name, int PerSample, string Holds);

/// <summary>
/// Where one group reads and writes in training: its input, the op's output z (pre-norm, saved), its
/// output, the buffer its backward writes the input gradient to (null: the caller's span), its dU
/// scratch, the saved tensor (or projection output) an Add or Concat reads, and the pre-activation u an
/// Add keeps for backward.
/// </summary>
internal sealed record GroupBuffers(string Input, string Z, string Output, string? InputGradient, bool ChannelSums, bool NormState)
{
    public string GradU { get; init; } = "_gradU";

    public string? Residual { get; init; }

    public string? U { get; init; }
}

/// <summary>
/// The buffer plan: training buffers (what Backward needs saved, which gradient buffers are reused in
/// turn, one gradient accumulator per saved name), the inference chunk with the buffers each group
/// writes (reused once nothing later reads them), and scratch sizes.
/// </summary>
internal sealed record BufferPlan(
    int MaxChannels,
    int MaxLength,
    int MaxInnerLength,
    int InferChunk,
    int ForwardScratch,
    int BackwardScratch,
    EquatableArray<TrainingBuffer> Training,
    EquatableArray<GroupBuffers> Groups,
    EquatableArray<string> InferenceOutputs)
{
    /// <summary>Floats per sample of each pooled inference buffer.</summary>
    public int ChunkBufferLength { get; init; }

    /// <summary>How many pooled inference buffers there are (<c>buf0</c>, <c>buf1</c>, …).</summary>
    public int ChunkBuffers { get; init; }
}

/// <summary>Decides every buffer of a pipeline from its groups.</summary>
internal static class BufferPlanner
{
    /// <summary>Most samples per inference chunk; a chunk's largest intermediate stays under 64 K floats (256 KB).</summary>
    private const int MaxChunk = 64;
    private const int ChunkFloats = 65536;

    /// <summary>The last group's output buffer when it writes the caller's span (<see cref="OutputToCaller"/>): the parameter's name.</summary>
    public const string CallerOutput = "output";

    public static BufferPlan Plan(Shape input, List<GroupPlan> groups, List<GroupPlan> projections, List<SavePoint> saves)
    {
        var all = groups.Concat(projections).ToList();
        int maxLength = System.Math.Max(input.Length, all.Max(g => g.OutLength));
        int inner = groups.Count > 1 ? groups.Take(groups.Count - 1).Max(g => g.OutLength) : 1;
        int forwardScratch = System.Math.Max(1, all.Where(g => g.Conv is not null).Select(g => g.Conv!.ForwardScratch).DefaultIfEmpty(1).Max());
        int backwardScratch = System.Math.Max(1, all.Where(g => g.Conv is not null).Select(g => g.Conv!.Backward.Total).DefaultIfEmpty(1).Max());

        var training = new List<TrainingBuffer> { new("_in", input.Length, "the input; group 0's weight gradient reads it") };
        var routes = new List<GroupBuffers>();
        string previous = "_in";
        string Saved(int slot) => saves[slot].AfterGroup < 0 ? "_in" : routes[saves[slot].AfterGroup].Output;
        foreach (GroupPlan g in groups)
        {
            bool toCaller = g.Index == groups.Count - 1 && OutputToCaller(g) && !saves.Any(s => s.AfterGroup == g.Index);
            GroupBuffers r = Route(g, previous, training, g.Index == 0 ? null : g.Index % 2 == 1 ? "_gradA" : "_gradB", toCaller);
            if (g.Branch is { } use)
            {
                r = r with { Residual = use.ProjectionGroup >= 0 ? $"_y{use.ProjectionGroup}" : Saved(use.Slot) };
                if (g.Join is AddLayer && g.Activation is not null && !g.SumRecomputed)
                {
                    training.Add(new TrainingBuffer($"_u{g.Index}", g.OutLength, $"group {g.Index}: the sum before the activation (backward reads it)"));
                    r = r with { U = $"_u{g.Index}" };
                }
            }

            routes.Add(r);
            previous = r.Output;
        }

        foreach (GroupPlan p in projections)
        {
            // A projection reads the saved tensor; its input gradient is summed into that tensor's accumulator.
            SavePoint saved = saves[groups[p.ProjectionOf].Branch!.Slot];
            GroupBuffers r = Route(p, Saved(saved.Slot), training, $"_gradX{p.Index}", toCaller: false) with { GradU = $"_gradU{p.Index}" };
            training.Add(new TrainingBuffer($"_gradX{p.Index}", p.InLength, $"group {p.Index}: the projection's input gradient"));
            training.Add(new TrainingBuffer($"_gradU{p.Index}", p.OutLength, $"group {p.Index}: the projection's gradient after its BatchNorm"));
            routes.Add(r);
        }

        foreach (SavePoint s in saves.Where(s => groups.Any(g => g.Branch?.Slot == s.Slot)))
        {
            if (TrainingNormFusion.PooledSavedGradientOf(groups, s.Slot) is { } pooled)
            {
                training.Add(new TrainingBuffer($"_gradPool{pooled.Index}", groups[pooled.Index + 1].OutLength,
                    $"group {pooled.Index}: ReLU' of the pooled gradient, \"{s.Name}\"'s gradient before the pool's backward (formed per plane where read)"));
                continue;
            }

            string first = TrainingNormFusion.SavedGradientStoredFirst(groups, s.Slot) ? " (its first writer stores, so it is never cleared)" : string.Empty;
            training.Add(new TrainingBuffer($"_gradSave{s.Slot}", s.Length, $"gradient sent back to \"{s.Name}\" by the layers that use it{first}"));
        }

        if (groups.Count > 1)
        {
            training.Add(new TrainingBuffer("_gradA", inner, "gradient between groups (odd groups write it)"));
        }

        if (groups.Count > 2)
        {
            training.Add(new TrainingBuffer("_gradB", inner, "gradient between groups (even groups write it)"));
        }

        // A standalone group (a norm with its activation) keeps its own scratch, so it needs no _gradU; nor does a Conv2d group
        // with no BatchNorm whose activation and Add ride its one backward pass (dZ formed per sample: TrainingConv).
        if (groups.Any(g => g.Norm is not null || (!(g.Conv is not null && g.Backward.Count == 1) && (g.Join is AddLayer || g.TrainingChannel is not null
            || g.TrainingMaxout > 0 || (g.Op is not null && g.Activation is not null && g.Anchor != AnchorKind.Standalone)))))
        {
            training.Add(new TrainingBuffer("_gradU", maxLength, "gradient inside a group, after the activation / BatchNorm"));
        }

        (List<string> outputs, int buffers) = InferenceBuffers(groups, projections);
        int chunkLength = System.Math.Max(InferenceInner(groups), projections.Select(p => p.OutLength).DefaultIfEmpty(1).Max());
        return new BufferPlan(
            System.Math.Max(1, all.Max(g => g.Channels)),
            maxLength,
            inner,
            System.Math.Max(1, System.Math.Min(MaxChunk, ChunkFloats / chunkLength)),
            forwardScratch,
            backwardScratch,
            training.ToEquatableArray(),
            routes.ToEquatableArray(),
            outputs.ToEquatableArray())
        {
            ChunkBufferLength = chunkLength,
            ChunkBuffers = buffers,
        };
    }

    /// <summary>
    /// Floats per sample of the largest output inference writes to a pooled buffer: a group's own output, unless its epilogue
    /// writes the next group's instead (a fused pool, channel activation or Maxout: the conv or Linear output is never stored),
    /// and not the last group's (the caller's output).
    /// </summary>
    private static int InferenceInner(List<GroupPlan> groups) =>
        groups.Take(groups.Count - 1).Where(g => !g.TakesNext).Select(g => g.OutLength).DefaultIfEmpty(1).Max();

    /// <summary>
    /// Whether the last group's training output can be written straight into the caller's <c>output</c> span instead of a buffer
    /// copied there: only its normalise (+ activation) pass writes it, through <c>ref output[…]</c>, and its backward reads z, never
    /// the output (BatchNorm's x̂ and the activation's derivative are recomputed from z). Measured: the copy was 0.067 ms of case
    /// B's 1.42 ms step and 0.047 ms of case C's 3.3 ms.
    /// </summary>
    public static bool OutputToCaller(GroupPlan g) =>
        g.Norm is not null && g.Anchor != AnchorKind.Standalone && g.Join is null && g.Branch is null && g.TrainingPool is null
        && !g.NormInNextPad && !g.TakesNext && g.Forward.Count > 1
        && g.Forward[g.Forward.Count - 1] is { Kind: PassKind.Elementwise } last && last.Has(StageKind.Normalize)
        && !last.Has(StageKind.Pool) && !last.Has(StageKind.ChannelActivation) && !last.Has(StageKind.Maxout) && !last.Has(StageKind.Add)
        && g.Forward.Take(g.Forward.Count - 1).All(p => p.Kind is PassKind.Anchor or PassKind.Own);

    private static GroupBuffers Route(GroupPlan g, string input, List<TrainingBuffer> training, string? inputGradient, bool toCaller)
    {
        bool op = g.Op is not null;
        bool hasOutput = g.Norm is not null || g.Activation is not null || g.Join is not null;
        // A standalone layer that takes an activation writes only its output (backward recomputes from its input).
        string z = op && !(g.Anchor == AnchorKind.Standalone && hasOutput) ? $"_z{g.Index}" : input;
        // Its normalise and activation in the next conv's input pad: what reads its output reads z (TrainingNormFusion).
        string y = toCaller ? CallerOutput : hasOutput && !g.NormInNextPad ? $"_y{g.Index}" : z;

        // A Conv2d (or a Linear with BatchNorm) whose training passes write the next group's output instead (its channel activation
        // or Maxout fused): with BatchNorm, the normalised output is never stored; without, a Maxout in the grid conv's epilogue
        // stores no z either.
        bool nextTakes = (g.Conv is not null || g.Norm is not null) && g.Forward.Any(p => p.Has(StageKind.Maxout) || p.Has(StageKind.ChannelActivation));
        bool zUnwritten = (nextTakes && g.Norm is null && g.Forward[0].Has(StageKind.Maxout))
            || (g.Anchor == AnchorKind.Linear && g.Forward.Count == 1 && g.Forward[0].Has(StageKind.Add)) // u = z + saved kept instead
            || (g.Anchor == AnchorKind.Linear && g.Forward.Count == 1 && g.Forward[0].Has(StageKind.Maxout)); // only the maxima and winners
        if (z != input && !zUnwritten)
        {
            training.Add(new TrainingBuffer(z, g.OutLength, $"group {g.Index}: {g.Op!.Name} output, before BatchNorm and activation (backward reads it)"));
        }

        // Its output never stored: recomputed where it is read, or pooled in the pass that computes it.
        if (hasOutput && !nextTakes && !g.NormInNextPad && g.TrainingPool is null && !toCaller)
        {
            training.Add(new TrainingBuffer(y, g.OutLength, $"group {g.Index}: output"));
        }

        return new GroupBuffers(input, z, y, inputGradient, g.Norm is not null || g.Conv is not null, g.Norm is not null);
    }

    /// <summary>
    /// The pooled buffer each group writes in inference (the last writes the caller's output, <c>y</c>): the
    /// lowest-numbered buffer that no later group still reads (as its input, or as a saved tensor), so two
    /// buffers suffice for a plain chain and each Save in flight keeps one more; an aliased Dropout names its
    /// input's buffer, and a group whose epilogue writes the next group's output names that output's buffer (its own
    /// output is never stored). Projection outputs follow.
    /// </summary>
    private static (List<string> Outputs, int Count) InferenceBuffers(List<GroupPlan> groups, List<GroupPlan> projections)
    {
        // The last group that reads each group's output: the next group, or a later Add/Concat of a name saved there.
        var lastUse = groups.Select(g => g.Index + 1).ToArray();
        foreach (GroupPlan g in groups.Where(g => g.Branch is not null && g.Branch.From >= 0))
        {
            lastUse[g.Branch!.From] = System.Math.Max(lastUse[g.Branch.From], g.Index);
        }

        // A conv group that runs the next group's pool writes that group's output: what it reads (its input, a saved
        // tensor) stays busy until then.
        foreach (GroupPlan g in groups.Where(g => g.TakesNext))
        {
            for (int h = 0; h < g.Index; h++)
            {
                lastUse[h] = lastUse[h] == g.Index ? g.Index + 1 : lastUse[h];
            }
        }

        // An aliased Dropout's output is its input's buffer: that buffer stays busy while the Dropout's output is read.
        for (int i = groups.Count - 1; i > 0; i--)
        {
            if (groups[i].InferenceAlias)
            {
                lastUse[i - 1] = System.Math.Max(lastUse[i - 1], lastUse[i]);
            }
        }

        var outputs = new List<string>();
        int count = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            if (i == groups.Count - 1)
            {
                outputs.Add("y");
                break;
            }

            if (groups[i].InferenceAlias)
            {
                outputs.Add(outputs[i - 1]);
                continue;
            }

            if (groups[i].TakesNext)
            {
                // Its epilogue writes the next group's output (named once that is placed): its own output takes no buffer.
                outputs.Add(string.Empty);
                continue;
            }

            var busy = new HashSet<string>(Enumerable.Range(0, i).Where(h => lastUse[h] >= i).Select(h => outputs[h]));
            int b = 0;
            while (busy.Contains($"buf{b}"))
            {
                b++;
            }

            outputs.Add($"buf{b}");
            count = System.Math.Max(count, b + 1);
        }

        foreach (GroupPlan g in groups.Where(g => g.TakesNext && g.Index + 1 < groups.Count))
        {
            outputs[g.Index] = outputs[g.Index + 1];
        }

        foreach (GroupPlan p in projections)
        {
            // Written and read within its Add group: any buffer that group neither reads nor writes.
            int owner = p.ProjectionOf;
            var busy = new HashSet<string>(Enumerable.Range(0, owner + 1).Where(h => h == owner || lastUse[h] >= owner).Select(h => outputs[h]));
            int b = 0;
            while (busy.Contains($"buf{b}"))
            {
                b++;
            }

            outputs.Add($"buf{b}");
            count = System.Math.Max(count, b + 1);
        }

        return (outputs, count);
    }
}
