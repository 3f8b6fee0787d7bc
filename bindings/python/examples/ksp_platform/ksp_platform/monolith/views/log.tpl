% rebase('base', title='PRIJAVA')
<form class="wrapper" id="prijava-obrazec" action="/zacetni_menu/" method="POST">
    <div class="input-box">
        <input type="text" placeholder="Uporabnik" aria-label="Uporabnik" name="uporabnik" id="uporabnik" autocomplete="username">
    </div>
    <div class="input-box">
        <input type="password" placeholder="Geslo" aria-label="Geslo" name="password" id="password" autocomplete="current-password">
    </div>
    <button type="submit" class="btn" id="prijava">Prijava</button>
    <button type="button" class="btn" id="gost">Gost</button>
    <a class="povezava" href="/registracija/">Nimate računa? Registracija</a>
</form>

% if registered:
<div class="obvestilo" id="registriran">
    <p>REGISTRACIJA JE USPELA. PRIJAVITE SE.</p>
</div>
% end

% if not valid:
<div class="center">
    <div class="content" id="napacna-prijava">
        <div class="glava poraz">
            <h2>POZOR!!!</h2>
        </div>
        <p>NAPAČNO IME ALI GESLO</p>
        <form action="/" method="GET">
            <button type="submit" class="zacetni">PROBAJ ZNOVA</button>
        </form>
    </div>
</div>
% end
