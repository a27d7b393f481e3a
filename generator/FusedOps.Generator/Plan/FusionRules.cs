using System.Collections.Generic;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// The fusion-rule table: for each mode, anchor and stage, where the stage runs. The planner walks a
/// group's stages in order and builds its passes from this table alone; docs/design.md shows it.
/// </summary>
internal static class FusionRules
{
    private const AnchorKind AnyAnchor = (AnchorKind)(-1);

    private static readonly Dictionary<(Mode, AnchorKind, StageKind), Placement> s_rules = new()
    {
        // Inference: a convolution takes everything into its epilogue (BatchNorm as scale/shift, folded by Freeze).
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.Bias)] = Placement.Epilogue,
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.ScaleShift)] = Placement.Epilogue,
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.Activation)] = Placement.Epilogue,

        // A non-overlapping 2×2 pool of the next group (PoolFusion decides when): reduced from the register block, only the pooled output stored.
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.Pool)] = Placement.Epilogue,

        // PReLU, RReLU (mean slope) or BipolarReLU of the next group (ChannelFusion decides when): one operator per output channel row.
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.ChannelActivation)] = Placement.Epilogue,

        // Maxout of the next group (MaxoutFusion decides when): the max over each run of `pieces` output channel rows, only it stored.
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.Maxout)] = Placement.Epilogue,

        // A Linear is PackedGemm: bias, BatchNorm (scale/shift) and activation on the tile of y while it is in registers.
        [(Mode.Inference, AnchorKind.Linear, StageKind.Bias)] = Placement.Epilogue,
        [(Mode.Inference, AnchorKind.Linear, StageKind.ScaleShift)] = Placement.Epilogue,
        [(Mode.Inference, AnchorKind.Linear, StageKind.Activation)] = Placement.Epilogue,

        // PReLU, RReLU (mean slope) or BipolarReLU of the next group (ChannelFusion decides when): one operator per output feature.
        [(Mode.Inference, AnchorKind.Linear, StageKind.ChannelActivation)] = Placement.Epilogue,

        // Maxout of the next group (MaxoutFusion decides when): weights in Maxout order, each panel's runs reduced as it is stored
        // (pieces not dividing 16: blocked order, each panel one piece of 16 outputs, reduced against the stored maxima).
        [(Mode.Inference, AnchorKind.Linear, StageKind.Maxout)] = Placement.Epilogue,
        [(Mode.Inference, AnchorKind.Conv2d, StageKind.Add)] = Placement.Epilogue,
        [(Mode.Inference, AnyAnchor, StageKind.Add)] = Placement.Elementwise,
        [(Mode.Inference, AnyAnchor, StageKind.ScaleShift)] = Placement.Elementwise,
        [(Mode.Inference, AnyAnchor, StageKind.Activation)] = Placement.Elementwise,

        // Training forward: batch statistics need the whole batch before anything is normalised.
        [(Mode.TrainingForward, AnchorKind.Conv2d, StageKind.Bias)] = Placement.Epilogue,
        [(Mode.TrainingForward, AnchorKind.Conv2d, StageKind.BatchStatistics)] = Placement.Epilogue,
        [(Mode.TrainingForward, AnchorKind.Linear, StageKind.Bias)] = Placement.Epilogue,

        // A Linear with no BatchNorm and no residual Add: z kept and act(z) stored from the same GEMM tile (LinearKernels.TrainForward);
        // the next group's PReLU or BipolarReLU there too (LinearTrainingFusion decides when). After a Linear with BatchNorm (no
        // activation or Add) it rides the normalise pass instead, and its derivative BatchNorm's reduction pass, as after a Conv2d.
        // A residual Add of a saved tensor (no BatchNorm, no projection) and the activation after it: LinearTrainingFusion moves both
        // into the GEMM's epilogue (u = z + saved kept) and their gradients into the pass before the GEMMs, as TrainingConv does.
        [(Mode.TrainingForward, AnchorKind.Linear, StageKind.Activation)] = Placement.Epilogue,
        [(Mode.TrainingForward, AnchorKind.Linear, StageKind.ChannelActivation)] = Placement.Epilogue,

        // The next group's Maxout (LinearTrainingFusion decides when): each run of pieces consecutive features reduced as the tile is
        // stored (pieces not dividing 16: W in blocked order, as inference), only the max and the winning piece written. After a
        // Linear with BatchNorm, it rides the normalise and reduction passes instead, as after a Conv2d.
        [(Mode.TrainingForward, AnchorKind.Linear, StageKind.Maxout)] = Placement.Epilogue,
        [(Mode.TrainingForward, AnyAnchor, StageKind.BatchStatistics)] = Placement.OwnPass,
        [(Mode.TrainingForward, AnyAnchor, StageKind.Normalize)] = Placement.Elementwise,
        [(Mode.TrainingForward, AnyAnchor, StageKind.Add)] = Placement.Elementwise,
        [(Mode.TrainingForward, AnyAnchor, StageKind.Activation)] = Placement.Elementwise,

        // A grid Conv2d (stride 1, one group) with no BatchNorm: TrainingConv moves the group's Add and activation into the
        // Conv2dTrainer's epilogue, and their gradients into its grid's prologue (backward). When the group has neither, the next
        // group's PReLU, RReLU (drawn slopes) or BipolarReLU, or its Maxout, runs there instead (the pairs inference fuses). After
        // any Conv2d group with BatchNorm (no activation or Add) the channel activation or Maxout rides the normalise pass instead,
        // and its derivative (Maxout: the routing to the winning piece) BatchNorm's reduction pass (the BatchNorm output is
        // recomputed there, never stored).
        [(Mode.TrainingForward, AnchorKind.Conv2d, StageKind.ChannelActivation)] = Placement.Epilogue,
        [(Mode.TrainingForward, AnchorKind.Conv2d, StageKind.Maxout)] = Placement.Epilogue,
        [(Mode.Backward, AnchorKind.Conv2d, StageKind.ChannelActivation)] = Placement.Epilogue,
        [(Mode.Backward, AnchorKind.Conv2d, StageKind.Maxout)] = Placement.Epilogue,

        // Backward: the activation derivative rides BatchNorm's reduction pass; the input gradient needs the reductions.
        [(Mode.Backward, AnyAnchor, StageKind.ActivationGradient)] = Placement.Elementwise,

        // A Linear with nothing between its activation (or the next group's PReLU / BipolarReLU) and its GEMMs: dZ formed from dY
        // in the pass that sums the bias gradient (and PReLU's slope gradients), block by block, before dW and dX.
        [(Mode.Backward, AnchorKind.Linear, StageKind.ActivationGradient)] = Placement.Epilogue,
        [(Mode.Backward, AnchorKind.Linear, StageKind.ChannelActivation)] = Placement.Epilogue,
        [(Mode.Backward, AnchorKind.Linear, StageKind.Maxout)] = Placement.Epilogue,
        [(Mode.Backward, AnyAnchor, StageKind.AddGradient)] = Placement.Elementwise,
        [(Mode.Backward, AnyAnchor, StageKind.NormReductions)] = Placement.Elementwise,
        [(Mode.Backward, AnyAnchor, StageKind.NormInputGradient)] = Placement.OwnPass,
        [(Mode.Backward, AnyAnchor, StageKind.AnchorGradients)] = Placement.Epilogue,
    };

    /// <summary>Every rule, for the design document's table: mode, anchor (null = any), stage, placement.</summary>
    public static IEnumerable<(Mode Mode, AnchorKind? Anchor, StageKind Stage, Placement Placement)> All()
    {
        foreach (KeyValuePair<(Mode, AnchorKind, StageKind), Placement> rule in s_rules)
        {
            yield return (rule.Key.Item1, rule.Key.Item2 == AnyAnchor ? null : rule.Key.Item2, rule.Key.Item3, rule.Value);
        }
    }

    public static Placement Where(Mode mode, AnchorKind anchor, StageKind stage) =>
        s_rules.TryGetValue((mode, anchor, stage), out Placement placement) ? placement
        : s_rules.TryGetValue((mode, AnyAnchor, stage), out placement) ? placement
        : throw new System.InvalidOperationException($"no fusion rule for {stage} after {anchor} in {mode}");

    /// <summary>The stages a group runs in <paramref name="mode"/>, in order (backward: from the output down).</summary>
    public static List<StageKind> Stages(Mode mode, bool op, bool bias, bool norm, bool add, bool activation)
    {
        var stages = new List<StageKind>();
        if (mode == Mode.Backward)
        {
            Add(stages, activation, StageKind.ActivationGradient);
            Add(stages, add, StageKind.AddGradient);
            Add(stages, norm, StageKind.NormReductions);
            Add(stages, norm, StageKind.NormInputGradient);
            Add(stages, op, StageKind.AnchorGradients);
            return stages;
        }

        Add(stages, bias, StageKind.Bias);
        Add(stages, norm && mode == Mode.Inference, StageKind.ScaleShift);
        Add(stages, norm && mode == Mode.TrainingForward, StageKind.BatchStatistics);
        Add(stages, norm && mode == Mode.TrainingForward, StageKind.Normalize);
        Add(stages, add, StageKind.Add);
        Add(stages, activation, StageKind.Activation);
        return stages;
    }

    /// <summary>Cuts a group's stages into passes: the anchor's (with its epilogue), elementwise passes and own passes.</summary>
    public static EquatableArray<Pass> Passes(Mode mode, AnchorKind anchor, bool bias, bool norm, bool add, bool activation)
    {
        if (anchor is AnchorKind.Copy or AnchorKind.Concat)
        {
            return new[] { new Pass(anchor == AnchorKind.Copy ? PassKind.Copy : PassKind.Anchor, EquatableArray<StageKind>.Empty) }.ToEquatableArray();
        }

        if (anchor == AnchorKind.Standalone)
        {
            // One pass of the layer's own kernel (with its activation, for a norm), forward and backward.
            var own = new List<StageKind>();
            Add(own, activation, mode == Mode.Backward ? StageKind.ActivationGradient : StageKind.Activation);
            Add(own, mode == Mode.Backward, StageKind.AnchorGradients);
            return new[] { new Pass(PassKind.Anchor, own.ToEquatableArray()) }.ToEquatableArray();
        }

        bool hasOp = anchor is AnchorKind.Conv2d or AnchorKind.Linear;
        var epilogue = new List<StageKind>();
        var passes = new List<(PassKind Kind, List<StageKind> Stages)>();
        List<StageKind>? elementwise = null;
        foreach (StageKind stage in Stages(mode, hasOp, bias, norm, add, activation))
        {
            switch (Where(mode, anchor, stage))
            {
                // Forward, a stage after an elementwise or own pass stays after it (e.g. a Linear's activation after its residual Add);
                // backward, an activation's derivative joins the anchor only with no BatchNorm or Add between them.
                case Placement.Epilogue when hasOp && (mode == Mode.Backward ? stage == StageKind.AnchorGradients || (!norm && !add) : passes.Count == 0):
                    epilogue.Add(stage);
                    break;
                case Placement.OwnPass:
                    passes.Add((PassKind.Own, new List<StageKind> { stage }));
                    elementwise = null;
                    break;
                default:
                    if (elementwise is null)
                    {
                        elementwise = new List<StageKind>();
                        passes.Add((PassKind.Elementwise, elementwise));
                    }

                    elementwise.Add(stage);
                    break;
            }
        }

        // Forward modes start with the anchor; backward ends with it (the op's gradients come last).
        var result = new List<Pass>();
        if (hasOp && mode != Mode.Backward)
        {
            result.Add(new Pass(PassKind.Anchor, epilogue.ToEquatableArray()));
        }
        else if (hasOp)
        {
            passes.Add((PassKind.Anchor, epilogue));
        }

        foreach ((PassKind kind, List<StageKind> stages) in passes)
        {
            result.Add(new Pass(kind, stages.ToEquatableArray()));
        }

        return result.ToEquatableArray();
    }

    private static void Add(List<StageKind> stages, bool present, StageKind stage)
    {
        if (present)
        {
            stages.Add(stage);
        }
    }
}
