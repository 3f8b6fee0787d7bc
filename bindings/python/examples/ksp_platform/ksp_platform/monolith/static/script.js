// KŠP: the original's fetch calls (PUT the login, DELETE the history,
// follow the server's redirect), bound as listeners: the CSP allows no
// inline script, so there are no onclick= attributes.
"use strict";

function sledi(odgovor) {
    if (odgovor.redirected) {
        window.location.href = odgovor.url;
    }
}

function prijava(uporabnik, geslo) {
    fetch("/zacetni_menu/", {
        method: "PUT",
        body: JSON.stringify({ uporabnik: uporabnik, password: geslo }),
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin"
    })
    .then(sledi)
    .catch(function (napaka) { console.error("Napaka:", napaka); });
}

function brisi(naslov) {
    fetch(naslov, { method: "DELETE", credentials: "same-origin" })
    .then(sledi)
    .catch(function (napaka) { console.error("Napaka:", napaka); });
}

var obrazec = document.getElementById("prijava-obrazec");
if (obrazec) {
    obrazec.addEventListener("submit", function (dogodek) {
        dogodek.preventDefault();
        prijava(document.getElementById("uporabnik").value,
                document.getElementById("password").value);
    });
    document.getElementById("gost").addEventListener("click", function () {
        prijava("Gost", "");
    });
}

document.querySelectorAll("[data-brisi]").forEach(function (gumb) {
    gumb.addEventListener("click", function () {
        var vprasanje = gumb.getAttribute("data-potrdi");
        if (vprasanje && !window.confirm(vprasanje)) {
            return;
        }
        brisi(gumb.getAttribute("data-brisi"));
    });
});
