using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Training passes of a grid Conv2d → BatchNorm (→ activation) group that need not sweep the batch: what reads its normalised output
/// computes it where it reads it. Each rewrite drops a buffer of the batch and the pass that wrote or read it; the arithmetic of every
/// value stays that of the pass it replaces, so the results are the same bits.
/// </summary>
internal static class TrainingNormFusion
{
    /// <summary>
    /// In this order: (1) a MaxPool2d right after the group runs in its normalise pass (only the pooled output and arg-max are stored);
    /// (2) a normalise pass whose output only the next grid conv reads (and a residual Add's normalise pass, through a Save) moves into
    /// that conv's input pad, forward and backward, and the residual pass recomputes it from z; (3) BatchNorm's reduction pass stores
    /// no dU, the conv's backward recomputing act′ from z as it already recomputes x̂; (4) the backward of a MaxPool2d fused by (1)
    /// into a residual group runs in that group's one-sweep reduction pass (its input gradient formed per sample, never stored); (5) such a
    /// group whose saved tensor (2) recomputes stores no sum u either: that reduction pass recomputes it per sample; (6) the backward of a
    /// MaxPool2d fused by (1) into a plain group whose conv forms dZ (3) runs per sample in that group's sums pass and conv backward; (7) a
    /// group (3) whose output (2) the next conv pads gets its reductions from that conv's backward, per sample, with no pass of its own;
    /// (8) a group (5) with ReLU stores its dU at the pooled size instead of the saved tensor's gradient at the full size.
    /// </summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan g = groups[i], next = groups[i + 1];
            // A residual Add with no activation keeps its sum in the output buffer, which is not stored here: not fused.
            if (NormPass(g) is { } norm && !norm.Has(StageKind.Pool) && (g.Join is null || g.Activation is not null)
                && next is { Op: PoolLayer { Kind: PoolKind.Max } pool, Forward.Count: 1 } && !saves.Any(s => s.AfterGroup == i))
            {
                groups[i] = g with
                {
                    Forward = new[] { g.Forward[0], norm with { Stages = norm.Stages.Concat(new[] { StageKind.Pool }).ToEquatableArray() } }.ToEquatableArray(),
                    TrainingPool = pool,
                };
                groups[i + 1] = next with { Forward = EquatableArray<Pass>.Empty };
            }
        }

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan g = groups[i], next = groups[i + 1];
            if (NormPass(g) is { } norm && g.Join is null && !norm.Has(StageKind.Pool) && next.Conv is { } c && TrainingConv.OnGrid(c) && next.Forward.Count > 0
                && ResidualReaders(groups, saves, i) is { } readers)
            {
                groups[i] = g with { Forward = new[] { g.Forward[0] }.ToEquatableArray(), NormInNextPad = true };
                groups[i + 1] = next with { PadNormOf = i };
                foreach (int r in readers)
                {
                    groups[r] = groups[r] with { ResidualNormOf = i };
                }
            }
        }

        for (int i = 0; i < groups.Count; i++)
        {
            GroupPlan g = groups[i];
            if (IsGridNorm(g) && g.Join is null && g.Spatial > 1 && g.Backward.Count == 3 && g.Backward[0].Kind == PassKind.Elementwise
                && g.Backward[0].Stages.All(s => s is StageKind.ActivationGradient or StageKind.NormReductions) && g.Backward[1].Kind == PassKind.Own
                && g.Backward[2].Kind == PassKind.Anchor)
            {
                // dZ formed as it goes onto the grid: act′ at the recomputed u, then BatchNorm's input gradient (no pass of its own).
                StageKind[] formed = g.Backward[0].Stages.Where(s => s == StageKind.ActivationGradient).Concat(new[] { StageKind.NormInputGradient }).ToArray();
                Pass anchor = g.Backward[2] with { Stages = formed.Concat(g.Backward[2].Stages).ToEquatableArray() };
                // The one saved tensor right after the group: its gradient joins dY in this reduction pass (no pass of its own).
                var used = saves.Where(s => s.AfterGroup == i && groups.Any(u => u.Branch?.Slot == s.Slot)).ToList();
                groups[i] = g with
                {
                    Backward = new[] { g.Backward[0], anchor }.ToEquatableArray(),
                    DuRecomputed = true,
                    SavedGradientIn = used.Count == 1 ? used[0] : null,
                };
            }
        }

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan g = groups[i], next = groups[i + 1];
            if (g.TrainingPool is { Kind: PoolKind.Max } && g.Join is AddLayer && g.Branch is { ProjectionGroup: < 0 } && g.Backward.Count > 0
                && g.Backward[0] is { Kind: PassKind.Elementwise } first && first.Has(StageKind.AddGradient) && first.Has(StageKind.ActivationGradient)
                && first.Has(StageKind.NormReductions) && next is { Forward.Count: 0, Backward.Count: 1 })
            {
                groups[i + 1] = next with { Backward = EquatableArray<Pass>.Empty };
            }
        }

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            // (6) A plain group (no Add, no saved gradient joining) whose ReLU′ and BatchNorm input gradient its conv forms: the pool's
            // backward runs per sample in its sums pass and again in its conv's backward (TrainingPasses.PoolBackwardSums,
            // Conv2dTrainer.PooledNormBackward), so the pool's full-size input gradient is never stored.
            GroupPlan g = groups[i], next = groups[i + 1];
            if (g is { DuRecomputed: true, SavedGradientIn: null, Join: null, TrainingPool.Kind: PoolKind.Max } && g.Operator.OperatorType == "ReluOperator"
                && next is { Forward.Count: 0, Backward.Count: 1 })
            {
                groups[i + 1] = next with { Backward = EquatableArray<Pass>.Empty };
            }
        }

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            // (7) A group whose dY is the input gradient of the next grid conv, which pads this group's z (2) and recomputes nothing
            // between (the next group may be a residual Add of an earlier Save, whose gradient it writes before its conv's backward): its
            // reductions (and the saved gradient's add) run per sample in that conv's backward, while dY and z are in cache.
            GroupPlan g = groups[i], next = groups[i + 1];
            if (g is { DuRecomputed: true, NormInNextPad: true } && !PoolBackwardIn(groups, g) && next.PadNormOf == i
                && (next.Branch is not { } use || saves.First(s => s.Slot == use.Slot).AfterGroup != i)
                && next.Backward.Count > 0 && next.Backward[next.Backward.Count - 1].Kind == PassKind.Anchor
                && saves.Where(s => s.AfterGroup == i).All(s => s == g.SavedGradientIn))
            {
                groups[i] = g with { SumsInNextBackward = true };
            }
        }

        for (int i = 0; i < groups.Count; i++)
        {
            // (5) Its saved tensor recomputed (2) and the pool's backward in its reduction pass (4): that pass reads z and can read the
            // saved group's z in place of u, so u is recomputed there per sample and never stored.
            if (groups[i] is { ResidualNormOf: >= 0 } g && PoolBackwardIn(groups, g))
            {
                groups[i] = g with { SumRecomputed = true };
            }
        }

        for (int i = 0; i < groups.Count; i++)
        {
            // (8) Such a group (5) with ReLU, the only user of its saved tensor, whose gradient the saved group's reductions take in the
            // next conv's backward (7): ReLU′ at u is needed only at each window's arg-max, where u > 0 exactly when the pool's output
            // is, so dU is formed at the pooled size and stored there; u is not recomputed and the full-size dU never stored.
            if (groups[i] is { SumRecomputed: true } g && DuInSavedGradient(groups, g) && g.Operator.OperatorType == "ReluOperator"
                && g.Branch is { } use && groups.Count(u => u.Branch?.Slot == use.Slot) == 1
                && groups[g.ResidualNormOf] is { SumsInNextBackward: true, SavedGradientIn: { } joined } && joined.Slot == use.Slot)
            {
                groups[i] = g with { PooledSavedGradient = true };
            }
        }
    }

    /// <summary>The group whose dU is stored at the pooled size as saved tensor <paramref name="slot"/>'s gradient (rule 8), or null.</summary>
    public static GroupPlan? PooledSavedGradientOf(IEnumerable<GroupPlan> groups, int slot) =>
        groups.FirstOrDefault(u => u.PooledSavedGradient && u.Branch?.Slot == slot);

    /// <summary>
    /// Whether the MaxPool2d after <paramref name="g"/> runs its backward in <paramref name="g"/>'s reduction pass (rule 4 of
    /// <see cref="Apply"/>): then <paramref name="g"/>'s dY is the pooled gradient.
    /// </summary>
    public static bool PoolBackwardIn(IReadOnlyList<GroupPlan> groups, GroupPlan g) =>
        g.TrainingPool is not null && g.Index + 1 < groups.Count && groups[g.Index + 1] is { Forward.Count: 0, Backward.Count: 0 };

    /// <summary>
    /// Whether <paramref name="g"/>'s dU is the saved tensor's gradient itself, so only that is stored and its conv reads it: the pool's
    /// backward runs in its reduction pass (<see cref="PoolBackwardIn"/>), which stores the saved gradient first (0 + dU), and dU is
    /// ReLU′ or the identity of the pool's input gradient. That gradient is 0 + dY or +0, never −0, and ReLU′ selects it or +0, so
    /// 0 + dU is dU, bit for bit.
    /// </summary>
    public static bool DuInSavedGradient(IReadOnlyList<GroupPlan> groups, GroupPlan g) =>
        PoolBackwardIn(groups, g) && g.Branch is { } use && SavedGradientStoredFirst(groups, use.Slot)
        && g.Operator.OperatorType is "ReluOperator" or "IdentityOperator";

    /// <summary>
    /// The group whose backward writes the saved tensor <paramref name="slot"/>'s gradient first (its last user) stores it there
    /// (BatchNorm's one-sweep reduction pass of a residual Add): the buffer needs no clearing pass before Backward.
    /// </summary>
    public static bool SavedGradientStoredFirst(IEnumerable<GroupPlan> groups, int slot) =>
        groups.Where(u => u.Branch?.Slot == slot).OrderBy(u => u.Index).LastOrDefault() is { } last && last.Branch!.ProjectionGroup < 0
        && last.Backward.Count > 0 && last.Backward[0] is { Kind: PassKind.Elementwise } first && first.Has(StageKind.AddGradient)
        && first.Has(StageKind.ActivationGradient) && first.Has(StageKind.NormReductions);

    private static bool IsGridNorm(GroupPlan g) =>
        g.Conv is { } c && TrainingConv.OnGrid(c) && g.Norm is not null && g.ProjectionOf < 0 && g.TrainingChannel is null && g.TrainingMaxout == 0;

    // The group's normalise pass (normalise, its residual add and activation, a pool fused into it; no channel activation or Maxout), or null.
    private static Pass? NormPass(GroupPlan g) =>
        IsGridNorm(g) && g.Forward.Count == 2 && g.Forward[1] is { Kind: PassKind.Elementwise } p && p.Has(StageKind.Normalize)
        && p.Stages.All(s => s is StageKind.Normalize or StageKind.Add or StageKind.Activation or StageKind.Pool) ? p : null;

    /// <summary>
    /// The groups that read group <paramref name="i"/>'s output through a Save: empty without one; null when one of them cannot
    /// recompute it (only a residual Add in its own normalise pass, with no projection, can).
    /// </summary>
    private static List<int>? ResidualReaders(List<GroupPlan> groups, List<SavePoint> saves, int i)
    {
        var readers = new List<int>();
        foreach (SavePoint s in saves.Where(s => s.AfterGroup == i))
        {
            foreach (GroupPlan user in groups.Where(u => u.Branch?.Slot == s.Slot))
            {
                if (user.Join is not AddLayer || user.Branch!.ProjectionGroup >= 0 || NormPass(user) is not { } p || !p.Has(StageKind.Add))
                {
                    return null;
                }

                readers.Add(user.Index);
            }
        }

        return readers;
    }
}
