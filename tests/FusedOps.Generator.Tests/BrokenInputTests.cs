using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Declarations a user types on the way to a correct one, and valid C# that is not a pipeline the
/// generator can complete: the generator never throws (no CS8785, AD0001 or FOPS0099), never stays
/// silent about a class it does not generate, and never adds an error or warning to code that
/// compiled without it.
/// </summary>
public sealed class BrokenInputTests
{
    [Theory]
    [InlineData("[FusedPipeline(3, 4, 4)]\n[Conv2d(]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(3, 4,)]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(3, 4, 4\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(3, 4, 4)]\n[Conv2d(8)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(\"ten\")]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2, 3)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(3, 4, 4)]\n[Conv2d(8, 3, Stride = 1.5f)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(3, 4, 4)]\n[Conv2d(8, 3, Bogus = 1)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[LeakyReLU(NegativeSlope = )]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[HardTanh(Min = 1.0)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4.5)]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4L)]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(int.MaxValue + 1)]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(Missing.Size)]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Conv3d(2)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net : Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net : Missing { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { public partial class Net { } }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic class Net { }\n[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { }\n[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial struct Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial record struct Net;")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial interface INet { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic enum E { A }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic delegate void D();")]
    [InlineData("public partial class Net { [FusedPipeline(4)] [Linear(2)] public void M() { } }")]
    [InlineData("public class Base { public Base(int a) { } }\n[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net : Base { }")]
    public void SyntaxOrTypeErrors_OnlyDiagnostics(string declaration) => AssertHandled(declaration);

    [Theory]
    [InlineData("[FusedPipeline(4), Linear(2), ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(new[] { 4 })]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(new int[0])]\n[ReLU]\npublic partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic abstract partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\nfile partial class Net { }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net : System.IDisposable { public void Dispose() { } }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net : FusedOps.IFusedModel { }")]
    [InlineData("public static partial class Outer { [FusedPipeline(4)] [Linear(2)] private partial class Net { } }")]
    [InlineData("public partial interface IOuter { [FusedPipeline(4)] [Linear(2)] public partial class Net { } }")]

    // Found by the property tests and fixed (BUG-4..BUG-9): static class, keyword class name, private name clashes,
    // record class, FusedPipeline(null), [FusedPipeline] on two partial declarations.
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic static partial class Net { }")]

    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class @class { }")]

    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { private readonly int _in = 1; public int In => _in; }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { private const int MaxLength = 3; }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { private static readonly int s_zeros = 0; public static int Zeros => s_zeros; }")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { private sealed class InferenceState { } }")]

    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial record Net { }")]

    [InlineData("[FusedPipeline(null!)]\n[ReLU]\npublic partial class Net { }")]
    public void ValidCSharp_GeneratesCleanCodeOrReportsFopsError(string declaration) => AssertHandled(declaration);

    // BUG-9: a pipeline split over two partial declarations that both carry [FusedPipeline] (CS0579), with the
    // layers on one of them, is parsed once per declaration; both models have hint name P.Net.g.cs, and the second
    // AddSource throws ArgumentException: CS8785, the generator's whole output is dropped.
    [Fact]
    public void PipelineAttributeOnTwoPartialDeclarations_OnlyDiagnostics() =>
        AssertHandled("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net { }\n[FusedPipeline(4)]\npublic partial class Net { }");

    /// <summary>
    /// Runs the generator on <paramref name="declaration"/> in namespace P and checks it did not crash,
    /// said something about every [FusedPipeline] class it did not generate, and, when the user's code
    /// compiles on its own, added no error anywhere and no warning in generated code.
    /// </summary>
    private static void AssertHandled(string declaration)
    {
        string source = "using FusedOps;\n\nnamespace P;\n\n#pragma warning disable CS1591 // Not about documentation.\n" + declaration + "\n";
        Compilation input = GeneratorHarness.CreateCompilation(source);
        GeneratorRun run = GeneratorHarness.Run(input, GeneratorHarness.CreateDriver());

        Assert.Null(run.Result.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id is "CS8785" or "AD0001" or "FOPS0099");
        Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("FOPS", d.Id));

        bool userCodeHasErrors = input.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
        bool generatorRejected = run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        if (generatorRejected)
        {
            Assert.Empty(run.Sources);
        }

        bool hasPipelineClass = input.GetSymbolsWithName(_ => true, SymbolFilter.Type)
            .OfType<INamedTypeSymbol>()
            .Any(t => t.TypeKind == TypeKind.Class && t.GetAttributes().Any(a => a.AttributeClass?.Name == "FusedPipelineAttribute"));
        if (hasPipelineClass && run.Sources.IsEmpty)
        {
            Assert.True(userCodeHasErrors || generatorRejected, "A [FusedPipeline] class was neither generated nor diagnosed.");
        }

        if (!userCodeHasErrors)
        {
            Assert.Empty(run.GeneratedCodeWarningsAndErrors);
            Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }
}
