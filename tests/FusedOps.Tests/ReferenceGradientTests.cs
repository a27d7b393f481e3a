using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Every layer's backward against central finite differences of its forward, in double through
/// the reference, on small odd shapes. Training mode unless the name says otherwise: BatchNorm
/// uses batch statistics, so perturbing one input moves the mean and variance of its channel,
/// and the check covers those terms too.
/// </summary>
public class ReferenceGradientTests
{
    public static TheoryData<string, int> CoreLayers() => new()
    {
        { "[FusedPipeline(7)] [Linear(5)]", 3 },
        { "[FusedPipeline(7)] [Linear(4, Bias = false)]", 2 },
        { "[FusedPipeline(3, 7, 6)] [Conv2d(5, 3, Stride = 2, Padding = 1, Dilation = 2)]", 2 },
        { "[FusedPipeline(4, 5, 6)] [Conv2d(6, 3, Padding = 1, Groups = 2)]", 2 },
        { "[FusedPipeline(3, 5, 5)] [Conv2d(3, 3, Padding = 1, Groups = 3, Bias = false)]", 2 },
        { "[FusedPipeline(3, 6, 5)] [Conv2d(6, 2, Stride = 2, Groups = 3)]", 1 },
        { "[FusedPipeline(2, 5, 4)] [Conv2d(3, 1, Bias = false)]", 2 },
        { "[FusedPipeline(6)] [BatchNorm]", 5 },
        { "[FusedPipeline(6)] [BatchNorm(Affine = false, Epsilon = 0.01f)]", 3 },
        { "[FusedPipeline(3, 4, 5)] [BatchNorm]", 3 },
        { "[FusedPipeline(2, 3, 3)] [BatchNorm(Momentum = 0.5f)]", 1 },
        { "[FusedPipeline(9)] [ReLU]", 3 },
        { "[FusedPipeline(2, 3, 4)] [Flatten] [Linear(3)]", 2 },
        { "[FusedPipeline(7)] [Linear(6)] [BatchNorm] [ReLU] [Linear(3)]", 4 },
        { "[FusedPipeline(2, 8, 7)] [Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false)] [BatchNorm] [ReLU] [Flatten] [Linear(5)]", 3 },
        { "[FusedPipeline(3, 6, 6)] [Conv2d(5, 3, Padding = 1)] [BatchNorm] [ReLU] [Conv2d(4, 3, Groups = 1, Dilation = 2)] [BatchNorm] [Flatten] [Linear(2)]", 2 },
    };

    public static TheoryData<string> Activations() => new()
    {
        "Identity", "ReLU", "LeakyReLU", "LeakyReLU(NegativeSlope = -0.3f)", "ELU", "ELU(Alpha = 0.5f)", "SELU",
        "GELU", "GELU(Approximate = true)", "Sigmoid", "Tanh", "ArcTan", "Softsign", "SiLU", "Swish(Beta = 1.7f)", "Mish",
        "Softplus", "Softplus(Beta = 2, Threshold = 3)", "HardSigmoid", "HardSwish", "HardTanh", "HardTanh(Min = -0.5f, Max = 2f)",
        "Isru", "Isru(Alpha = 0.3f)", "Isrlu(Alpha = 2f)", "SquareNonlinearity", "BinaryStep",
        "PReLU", "PReLU(NumParameters = 9, Init = 0.1f)", "RReLU", "RReLU(Lower = 0.2f, Upper = 0.9f)", "Dropout", "Dropout(P = 0.2f)",
    };

    public static TheoryData<string, int> OtherLayers() => new()
    {
        { "[FusedPipeline(2, 7, 7)] [MaxPool2d(3, Stride = 2, Padding = 1)]", 2 },
        { "[FusedPipeline(3, 5, 6)] [MaxPool2d(2)]", 2 },
        { "[FusedPipeline(2, 7, 7)] [AvgPool2d(3, Stride = 2, Padding = 1)]", 2 },
        { "[FusedPipeline(3, 5, 6)] [AvgPool2d(2)]", 1 },
        { "[FusedPipeline(3, 5, 4)] [GlobalAvgPool2d] [Flatten] [Linear(2)]", 2 },
        { "[FusedPipeline(7)] [LayerNorm]", 3 },
        { "[FusedPipeline(2, 3, 4)] [LayerNorm]", 2 },
        { "[FusedPipeline(7)] [LayerNorm(Affine = false, Epsilon = 0.001f)]", 2 },
        { "[FusedPipeline(6, 3, 2)] [GroupNorm(3)]", 2 },
        { "[FusedPipeline(6)] [GroupNorm(2)]", 3 },
        { "[FusedPipeline(4, 3, 3)] [GroupNorm(1, Affine = false)]", 2 },
        { "[FusedPipeline(3, 3, 4)] [InstanceNorm]", 2 },
        { "[FusedPipeline(3, 3, 4)] [InstanceNorm(Affine = true)]", 2 },
        { "[FusedPipeline(5, 2, 3)] [LocalResponseNorm(3, Alpha = 0.5f)]", 2 },
        { "[FusedPipeline(6, 2, 2)] [LocalResponseNorm(4, Alpha = 0.9f, Beta = 0.6f, K = 2f)]", 2 },
        { "[FusedPipeline(3, 4, 4)] [PReLU(NumParameters = 3)]", 2 },
        { "[FusedPipeline(2, 6, 6)] [Conv2d(3, 3)] [MaxPool2d(2)] [GroupNorm(3)] [Flatten] [Dropout(P = 0.25f)] [Linear(2)]", 2 },
    };

    [Theory]
    [MemberData(nameof(CoreLayers))]
    public void CoreLayer_TrainingGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: true);

    [Theory]
    [MemberData(nameof(CoreLayers))]
    public void CoreLayer_EvalGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: false, seed: 2);

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_TrainingGradientsMatchFiniteDifferences(string activation) =>
        GradientCheck.AssertGradientsMatch(Model($"[FusedPipeline(7)] [Linear(9)] [{activation}] [Linear(4)]"), batch: 3, training: true, inputScale: 4);

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_EvalGradientsMatchFiniteDifferences(string activation) =>
        GradientCheck.AssertGradientsMatch(Model($"[FusedPipeline(7)] [Linear(9)] [{activation}] [Linear(4)]"), batch: 3, training: false, inputScale: 4);

    [Theory]
    [MemberData(nameof(OtherLayers))]
    public void OtherLayer_TrainingGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: true, inputScale: 2);

    [Theory]
    [MemberData(nameof(OtherLayers))]
    public void OtherLayer_EvalGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: false, seed: 3, inputScale: 2);

    private static ReferenceModel Model(string declaration) =>
        GradientCheck.Randomize(ReferenceModel.FromDeclaration(declaration, seed: 7), seed: declaration.Length);
}
