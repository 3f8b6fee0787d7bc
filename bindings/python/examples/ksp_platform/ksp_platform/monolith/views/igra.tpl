% imena = {'ksp': 'KAMEN ŠKARJE PAPIR', 'kspov': 'KAMEN ŠKARJE PAPIR VODA OGENJ'}
% rebase('base', title=imena[ruleset], odjava=True)
<h3>{{imena[ruleset]}}</h3>
<blockquote>
    Dobrodošli v igri {{imena[ruleset].lower()}}. Igrali boste proti računalniku,
    dokler ne bo odločenih {{target}} iger (neodločene se ne štejejo).
    Igra se točkuje: igralec : računalnik
</blockquote>
<div class="rezultat">
    <h2 id="izid" data-igralec="{{igralec}}" data-racunalnik="{{racunalnik}}" data-cilj="{{target}}">{{igralec}} : {{racunalnik}}</h2>
    % if last:
    <p id="zadnja" data-igralec="{{last['igralec'][0]}}" data-racunalnik="{{last['racunalnik'][0]}}" data-izid="{{last['izid']}}">
        Vi: {{last['igralec'][1]}}, računalnik: {{last['racunalnik'][1]}} —
        {{ {'zmaga': 'točka za vas', 'poraz': 'točka za računalnik', 'neodloceno': 'neodločeno'}[last['izid']] }}
    </p>
    % end
</div>

% if not finished:
<form action="/{{ruleset}}/" method="POST" class="obrazec">
    <div class="orozja">
    % for number, label in enumerate(weapons):
        <input type="radio" name="orozje" value="{{number}}" id="orozje-{{number}}" required>
        <label for="orozje-{{number}}">{{label}}</label>
    % end
    </div>
    <div class="gumbi">
        <button type="submit" class="potrdi">Potrdi</button>
        % if subscriber:
        <a class="potrdi" href="/zgodovina_{{ruleset}}/">Zgodovina</a>
        % end
        <a class="potrdi" href="/end/">Nazaj</a>
    </div>
</form>
% else:
<div class="center">
    <div class="content" id="konec" data-konec="{{'zmaga' if won else 'poraz'}}">
        % if won:
        <div class="glava zmaga"><h2>ZMAGA</h2></div>
        <p>BRAVO, ZMAGAL SI MOGOČNI STROJ Z IZIDOM {{igralec}} : {{racunalnik}}</p>
        % else:
        <div class="glava poraz"><h2>PORAZ</h2></div>
        <p>IZGUBIL SI PROTI RAČUNALNIKU Z IZIDOM {{igralec}} : {{racunalnik}}</p>
        % end
        <form action="/nova_igra_{{ruleset}}/" method="GET">
            <button type="submit" class="zacetni">{{'BRAVO !!!' if won else 'BAD LUCK'}} NOVA IGRA</button>
        </form>
        % if subscriber:
        <a class="zacetni" href="/zgodovina_{{ruleset}}/">ZGODOVINA</a>
        % end
        <a class="zacetni" href="/end/">ZAČETNI MENI</a>
    </div>
</div>
% end
