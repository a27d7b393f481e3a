using Microsoft.CodeAnalysis.CSharp;

namespace FusedOps.Generator.Parse;

/// <summary>Names the generated code declares privately, and identifier escaping for the names it writes.</summary>
internal static class GeneratedNames
{
    /// <summary>Whether a user member with this name would collide with a private generated member.</summary>
    public static bool IsReservedPrivate(string name) => name == Names.ModelField;

    /// <summary>The identifier as C# source: <c>@class</c> for a keyword.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.AwaitKeyword ? "@" + name : name;
}
