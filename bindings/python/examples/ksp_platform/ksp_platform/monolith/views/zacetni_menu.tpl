% rebase('base', title='IZBIRA IGRE', odjava=True)
<div class="pozdrav">
    <h2>DOBRODOŠLI {{uporabnik}} IZBERITE SI IGRO</h2>
    <form action="/nova_igra_ksp/" method="GET">
        <button type="submit" class="gumb">KŠP</button>
    </form>
    <form action="/nova_igra_kspov/" method="GET">
        <button type="submit" class="gumb">KŠPOV</button>
    </form>
    % if ima_racun:
    <p class="majhno">
        <a href="/moji_podatki/">Moji podatki (JSON)</a>
        <button type="button" class="zacetni" data-brisi="/izbrisi_me/" data-potrdi="Izbrišem vaš račun in vse vaše podatke? Tega ni mogoče razveljaviti.">IZBRIŠI MOJ RAČUN</button>
    </p>
    % end
    <p class="majhno">ID: {{user_id}}</p>
</div>
