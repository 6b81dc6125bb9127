using Touchpoints.Core.Events;

namespace Touchpoints.Functions.Console;

/// <summary>Touch points as the console names them: in addresses (<c>?tab=inPerson</c>) and on screen ("In person").</summary>
public static class Names
{
    public static string Of(Touchpoint touchpoint) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(touchpoint.ToString());

    public static string Title(Touchpoint touchpoint) => touchpoint switch
    {
        Touchpoint.Web => "Web",
        Touchpoint.Email => "E-mail",
        Touchpoint.Social => "Social",
        Touchpoint.Phone => "Phone",
        Touchpoint.Mail => "Mail",
        Touchpoint.InPerson => "In person",
        Touchpoint.Sales => "Sales",
        Touchpoint.Support => "Support",
        Touchpoint.Billing => "Billing",
        _ => touchpoint.ToString(),
    };
}
