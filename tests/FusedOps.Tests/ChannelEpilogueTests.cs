using System.Collections.Generic;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// PReLU (one slope and per channel), RReLU and BipolarReLU run in the inference epilogue of the Conv2d or Linear before them,
/// and Dropouts with no inference pass: against the reference interpreter at every kernel width and batch sizes
/// 1, 3 and 8 (Infer, Frozen.Infer, and training, which keeps its own passes).
/// </summary>
[Collection("KernelLevel")]
public sealed class ChannelEpilogueTests
{
    public static IEnumerable<object[]> Cases() =>
        FusedVsReferenceTests.CasesFor("ConvPReluChannels", "ConvBipolarOdd", "ResidualRReluPRelu", "ChannelNotFused", "ChannelActivationNet", "DropoutMlp",
            "LinearChannelEpilogue", "LinearChannelMixed");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChannelEpilogue_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
}
