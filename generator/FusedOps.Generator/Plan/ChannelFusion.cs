using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Inference fusion of the channel activations and Dropout. A PReLU, RReLU or BipolarReLU right after a Conv2d
/// group without an activation of its own, whose output nothing else reads (no Save of it), runs in the
/// convolution's epilogue with one operator per output channel row; the activation's group then has no inference
/// pass. A Dropout (the identity in inference) between two groups has no pass either: its output is its input's
/// buffer. Training and Backward keep their own passes (PReLU's slope gradient, RReLU's drawn slopes, the mask), except
/// after a grid Conv2d group without BatchNorm, whose <c>Conv2dTrainer</c> runs the pair's training too (<see cref="TrainingConv"/>).
/// </summary>
internal static class ChannelFusion
{
    /// <summary>Whether <paramref name="conv"/>'s inference epilogue takes the channel activation group after it.</summary>
    public static bool Fuses(GroupPlan conv, GroupPlan next, IEnumerable<SavePoint> saves) =>
        conv.Conv is not null && conv.ProjectionOf < 0 && conv.Activation is null
        && next.Op is ChannelActivationLayer && next.Index == conv.Index + 1
        && !saves.Any(s => s.AfterGroup == conv.Index);

    /// <summary>
    /// Whether <paramref name="linear"/>'s inference (one packed-GEMM pass: no residual Add, no activation of its own) takes
    /// the channel activation group after it, per output feature in the GEMM's epilogue.
    /// </summary>
    public static bool FusesLinear(GroupPlan linear, GroupPlan next, IEnumerable<SavePoint> saves) =>
        linear.Anchor == AnchorKind.Linear && linear.ProjectionOf < 0 && linear.Activation is null && linear.Inference.Count == 1
        && next.Op is ChannelActivationLayer && next.Index == linear.Index + 1
        && !saves.Any(s => s.AfterGroup == linear.Index);

    /// <summary>Marks every fusable conv + channel activation (or Maxout) pair, and every Dropout with a group on each side.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        MaxoutFusion.Apply(groups, saves);
        FuseNext(groups, saves, StageKind.ChannelActivation, Fuses, (c, next) => c with
        {
            Channel = ((ChannelActivationLayer)next).Kind == ChannelActivationKind.BipolarReLU ? ChannelEpilogue.Bipolar : ChannelEpilogue.Slope,
            ChannelName = next.Name,
        });

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan linear = groups[i], next = groups[i + 1];
            if (FusesLinear(linear, next, saves) && FusionRules.Where(Mode.Inference, AnchorKind.Linear, StageKind.ChannelActivation) == Placement.Epilogue)
            {
                groups[i] = linear with
                {
                    Inference = WithEpilogueStage(linear, StageKind.ChannelActivation),
                    Columns = ((ChannelActivationLayer)next.Op!).Kind == ChannelActivationKind.BipolarReLU ? ChannelEpilogue.Bipolar : ChannelEpilogue.Slope,
                    ColumnsName = next.Op!.Name,
                };
                groups[i + 1] = next with { Inference = EquatableArray<Pass>.Empty };
            }
        }

        LinearTrainingFusion.Apply(groups, saves);

        // The first group reads the caller's input and the last writes the caller's output: a Dropout there keeps its copy.
        for (int i = 1; i + 1 < groups.Count; i++)
        {
            if (groups[i].Op is DropoutLayer)
            {
                groups[i] = groups[i] with { Inference = EquatableArray<Pass>.Empty };
            }
        }
    }

    /// <summary>
    /// Every conv group that <paramref name="fuses"/> with the group after it (and the rule table puts <paramref name="stage"/>
    /// in the conv epilogue) takes that group's work: <paramref name="stage"/> joins its anchor's epilogue, its plan is
    /// <paramref name="update"/>d with the next group's layer, and the next group loses its inference pass.
    /// </summary>
    internal static void FuseNext(
        List<GroupPlan> groups, List<SavePoint> saves, StageKind stage, System.Func<GroupPlan, GroupPlan, IEnumerable<SavePoint>, bool> fuses,
        System.Func<ConvPlan, Layer, ConvPlan> update)
    {
        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan conv = groups[i], next = groups[i + 1];
            if (fuses(conv, next, saves) && FusionRules.Where(Mode.Inference, AnchorKind.Conv2d, stage) == Placement.Epilogue)
            {
                groups[i] = conv with { Inference = WithEpilogueStage(conv, stage), Conv = update(conv.Conv!, next.Op!) };
                groups[i + 1] = next with { Inference = EquatableArray<Pass>.Empty };
            }
        }
    }

    /// <summary>The conv group's inference passes with <paramref name="stage"/> (the next group's work) appended to its anchor's epilogue.</summary>
    internal static EquatableArray<Pass> WithEpilogueStage(GroupPlan conv, StageKind stage)
    {
        Pass anchor = conv.Inference[0];
        var stages = anchor.Stages.Concat(new[] { stage }).ToEquatableArray();
        return new[] { anchor with { Stages = stages } }.Concat(conv.Inference.Skip(1)).ToEquatableArray();
    }
}
