using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp;

namespace FusedOps.Generator.Parse;

/// <summary>Names the generated code declares privately, and identifier escaping for the names it writes.</summary>
internal static class GeneratedNames
{
    // Private members of the generated partial class: fixed names and per-layer/per-group families.
    private static readonly Regex s_reserved = new(
        @"^(_in|_batch|_capacity|_gradA|_gradB|_gradU|_scratch|CheckBatch|EnsureTraining|RunInference|InferenceState|MaxChannels|MaxLength|MaxInnerLength|InferChunk|ForwardScratch|BackwardScratch|s_zeros|s_sink|s_sinkD"
        + @"|_p\d+(Weight|Bias|RunningMean|RunningVar)|_(z|y|sum|sumSq|mean|invStd|scale|shift)\d+|G\d+_\w+|L\d+_\w+|s_l\d+\w*)$",
        RegexOptions.CultureInvariant);

    /// <summary>Whether a user member with this name would collide with a private generated member.</summary>
    public static bool IsReservedPrivate(string name) => s_reserved.IsMatch(name);

    /// <summary>The identifier as C# source: <c>@class</c> for a keyword.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.AwaitKeyword ? "@" + name : name;
}
