using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>A training buffer: its field name, floats per sample, and why it exists.</summary>
internal sealed record TrainingBuffer(string Name, int PerSample, string Holds);

/// <summary>
/// Where one group reads and writes in training: its input, the op's output z (pre-norm, saved),
/// its output, and the buffer its backward writes the input gradient to (null: the caller's span).
/// </summary>
internal sealed record GroupBuffers(string Input, string Z, string Output, string? InputGradient, bool ChannelSums, bool NormState);

/// <summary>
/// The buffer plan: training buffers (what Backward needs saved, which gradient buffers are reused in
/// turn), the inference chunk and its ping-pong buffers, and scratch sizes.
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
    EquatableArray<string> InferenceOutputs);

/// <summary>Decides every buffer of a pipeline from its groups.</summary>
internal static class BufferPlanner
{
    /// <summary>Most samples per inference chunk; a chunk's largest intermediate stays under 64 K floats (256 KB).</summary>
    private const int MaxChunk = 64;
    private const int ChunkFloats = 65536;

    public static BufferPlan Plan(Shape input, List<GroupPlan> groups)
    {
        int maxLength = System.Math.Max(input.Length, groups.Max(g => g.OutLength));
        int inner = groups.Count > 1 ? groups.Take(groups.Count - 1).Max(g => g.OutLength) : 1;
        int forwardScratch = System.Math.Max(1, groups.Where(g => g.Conv is not null).Select(g => g.Conv!.ForwardScratch).DefaultIfEmpty(1).Max());
        int backwardScratch = System.Math.Max(1, groups.Where(g => g.Conv is not null).Select(g => g.Conv!.Backward.Total).DefaultIfEmpty(1).Max());

        var training = new List<TrainingBuffer> { new("_in", input.Length, "the input; group 0's weight gradient reads it") };
        var routes = new List<GroupBuffers>();
        string previous = "_in";
        foreach (GroupPlan g in groups)
        {
            bool op = g.Op is not null;
            bool hasOutput = g.Norm is not null || g.Activation is not null;
            // A standalone layer that takes an activation writes only its output (backward recomputes from its input).
            string z = op && !(g.Anchor == AnchorKind.Standalone && hasOutput) ? $"_z{g.Index}" : previous;
            string y = hasOutput ? $"_y{g.Index}" : z;
            if (z != previous)
            {
                training.Add(new TrainingBuffer(z, g.OutLength, $"group {g.Index}: {g.Op!.Name} output, before BatchNorm and activation (backward reads it)"));
            }

            if (hasOutput)
            {
                training.Add(new TrainingBuffer(y, g.OutLength, $"group {g.Index}: output (the next group's input)"));
            }

            // Gradients between groups alternate between two buffers: group i writes what group i-1 reads.
            string? dx = g.Index == 0 ? null : g.Index % 2 == 1 ? "_gradA" : "_gradB";
            routes.Add(new GroupBuffers(previous, z, y, dx, g.Norm is not null || g.Conv is not null, g.Norm is not null));
            previous = y;
        }

        if (groups.Count > 1)
        {
            training.Add(new TrainingBuffer("_gradA", inner, "gradient between groups (odd groups write it)"));
        }

        if (groups.Count > 2)
        {
            training.Add(new TrainingBuffer("_gradB", inner, "gradient between groups (even groups write it)"));
        }

        if (groups.Any(g => g.Norm is not null || (g.Op is not null && g.Activation is not null)))
        {
            training.Add(new TrainingBuffer("_gradU", maxLength, "gradient inside a group, after the activation / BatchNorm"));
        }

        var outputs = groups.Select(g => g.Index == groups.Count - 1 ? "output" : g.Index % 2 == 0 ? "a" : "b");
        return new BufferPlan(
            System.Math.Max(1, groups.Max(g => g.Channels)),
            maxLength,
            inner,
            System.Math.Max(1, System.Math.Min(MaxChunk, ChunkFloats / inner)),
            forwardScratch,
            backwardScratch,
            training.ToEquatableArray(),
            routes.ToEquatableArray(),
            outputs.ToEquatableArray());
    }
}
