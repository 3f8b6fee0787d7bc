% rebase('base', title='REGISTRACIJA')
<form class="wrapper" action="/registracija/" method="POST">
    <h2>REGISTRACIJA</h2>
    % if message:
    <p class="napaka" data-field="{{field or ''}}">
        % if field:
        Napaka v polju {{field}}:
        % end
        {{message}}
    </p>
    % end
    <div class="input-box">
        <input type="text" placeholder="Uporabniško ime (username)" aria-label="Uporabniško ime" name="username" value="{{username}}" autocomplete="username" required>
    </div>
    <div class="input-box">
        <input type="password" placeholder="Geslo (password, vsaj 8 znakov)" aria-label="Geslo" name="password" autocomplete="new-password" required>
    </div>
    <button type="submit" class="btn">Registracija</button>
    <a class="povezava" href="/">Nazaj na prijavo</a>
</form>
